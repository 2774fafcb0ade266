"""What a short chat reply means: yes, no, a request for a person, or something else. Pure functions."""

from __future__ import annotations

import re
from enum import StrEnum

_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# English, then German, French, Spanish and Chinese (written without spaces, so whole short replies).
_YES = {"yes", "yeah", "yep", "yup", "y", "ok", "okay", "solved", "fixed", "works", "worked", "perfect", "great",
        "thanks", "thank", "resolved", "sorted",
        "ja", "jawohl", "danke", "gelöst", "funktioniert", "oui", "merci", "résolu", "si", "sí", "gracias",
        "resuelto", "是", "是的", "好的", "谢谢", "解决了", "可以了"}
_NO = {"no", "nope", "n", "nah", "not", "didn't", "didnt", "doesn't", "doesnt", "still", "failed", "fails",
       "nein", "nicht", "immer", "non", "pas", "toujours", "todavía", "sigue", "否", "不", "没有", "不行", "还是不行"}
# Words that report the problem gone (not a bare yes or okay, which may take a ticket offer).
_FIXED = {"solved", "fixed", "works", "worked", "resolved", "sorted", "gelöst", "funktioniert", "geklappt", "résolu",
          "marche", "fonctionne", "resuelto", "funciona", "解决了", "可以了", "好了"}
_YES_PHRASES = ("that fixed it", "it works", "it worked", "that worked", "problem solved", "all good",
                "that solved it", "yes it did", "it is fixed", "it's fixed")
_NO_PHRASES = ("didn't help", "did not help", "didn't work", "did not work", "not working", "still not",
               "still broken", "doesn't work", "does not work", "no luck", "not solved", "still the same",
               "same problem", "still failing")
_HUMAN = re.compile(r"\b(talk|speak|chat|connect|put me through)\b.{0,20}\b(human|person|agent|someone|somebody|"
                    r"technician|people|staff|service desk)\b|^\s*(human|agent|operator|a person)\W*$"
                    r"|\breal (person|human)\b", re.IGNORECASE)
# The same request in German, French, Spanish and Chinese, in its asking forms only ("kann ich mit jemandem
# sprechen?", "je voudrais parler à quelqu'un"): "ich kann in Teams nicht mit jemandem sprechen" is a problem with
# calls, and "ich habe mit jemandem gesprochen" is past.
_PERSON_DE = r"(jemandem|einem (echten )?menschen|einer (echten )?person|einem (mitarbeiter|techniker|agenten))"
_PERSON_FR = r"(quelqu'un|un (vrai )?humain|une (vraie )?personne|un (agent|technicien|conseiller))"
_PERSON_ES = r"(alguien|una persona( real)?|un (humano|agente|t[eé]cnico))"
_HUMAN_ELSEWHERE = re.compile(
    rf"(\b(kann|könnte|möchte|will|würde|darf)\s+ich|\bich\s+(möchte|will|würde|wollte))\s+"
    rf"(bitte\s+|gerne?\s+|jetzt\s+|kurz\s+)*mit\s+{_PERSON_DE}"
    rf"(\s+\w+)?\s+sprechen\b|\bmit\s+{_PERSON_DE}\s+sprechen,?\s+bitte\b|\bbitte\s+mit\s+{_PERSON_DE}\s+sprechen\b"
    rf"|\b(puis-je|pourrais-je|je voudrais|je veux|j'aimerais|je souhaite|peut-on)\s+(parler|discuter)\s+"
    rf"(à|avec)\s+{_PERSON_FR}"
    rf"|\b(puedo|podría|quiero|quisiera|necesito|me gustaría)\s+hablar\s+con\s+{_PERSON_ES}"
    r"|转人工|人工客服|找(个)?真人|(我想|我要|我需要|能不能|可以|请让我)(和|跟|与)(真人|人工|客服)(说话|沟通|聊|通话)",
    re.IGNORECASE)
# A request to be called back is a request for a person: "can someone call me?", "call me back", "ruf mich an".
# Only the request forms: "people can't call me on Teams" is a problem with calls, not a request for one.
_CALL_BACK = re.compile(
    r"\b(someone|somebody|anyone|a technician|an agent|a person|a colleague|the service desk|the help ?desk|support|"
    r"you|(?-i:IT))\s+(please\s+)?(to\s+)?(call|ring|phone|contact)\s+(me|us)\b(?!\s+(on|about|when|if)\b)"
    r"|^\W*(please\s+|pls\s+|can you\s+|could you\s+)?(call|ring|phone)\s+me\b|\b(call|ring|phone) me back\b"
    r"|\b(request(ing)?|want|need|like|arrange)\s+(a\s+)?(call[- ]?back|phone call)\b|\ba call[- ]?back\b"
    r"|\bcall[- ]?back,? (please|pls)\b"
    r"|\b(ruf|rufen)\b.{0,20}\b(mich|uns)\b.{0,20}\b(an|zurück)\b|\brückruf\b"
    r"|\b(mich|uns)\b(?:(?!\bnicht\b).){0,20}\b(zurückrufen|anrufen)\b"
    r"|\b(rappelez|rappelle|appelez|appelle)[- ]?(moi|nous)\b|\b(me|nous) rappeler\b|\bm'appeler\b"
    r"|\bll[aá]m(ame|eme|enme|adme)\b|\bque me (llame|llamen)\b|\bme (puede|pueden|podr[ií]an?) llamar\b"
    r"|给我(回|打)?(个)?电话|回电|打电话给我", re.IGNORECASE)
# An explicit request for a ticket, in the languages the chat speaks ("please open a ticket for me").
_TICKET = re.compile(r"\b(open|create|raise|log|file|make|start|submit)\b.{0,25}\b(ticket|incident)s?\b"
                     r"|\bticket,? (please|pls)\b"
                     r"|\b(ticket|störungsmeldung|meldung)\b.{0,20}\b(er)?(öffnen|anlegen|erstellen|aufmachen|aufgeben)\b"
                     r"|\b(ouvrir|ouvrez|créer|créez|ouvre|crée)\b.{0,20}\b(ticket|incident)\b"
                     r"|\b(abrir|abre|abra|crear|crea|cree|registrar)\b.{0,20}\b(ticket|incidencia|incidente)\b"
                     r"|(开|提|提交|创建|建)[^。？?]{0,6}工单", re.IGNORECASE)
# Words that only frame a request for a ticket ("could you please open one for me"), in the same languages: what
# is left once they and the request itself are taken out is the problem, if the requester said it already.
_FRAMING = frozenset({
    "a", "an", "the", "i", "i'd", "i'm", "im", "we", "my", "our", "me", "us", "you", "your", "it", "this", "that",
    "to", "for", "of", "and", "or", "with", "on", "in", "at", "about", "so", "just", "also", "please", "pls", "plz",
    "can", "could", "would", "will", "should", "need", "needs", "want", "wanna", "like", "have", "has", "get",
    "got", "do", "does", "hi", "hello", "hey", "hiya", "thanks", "thank", "new", "one", "quick", "regarding", "re",
    "urgent", "asap", "now", "today", "kindly", "help", "someone", "somebody", "ticket", "tickets", "incident",
    "incidents", "case", "request", "open", "opened", "create", "raise", "log", "file", "make", "start", "submit",
    "put", "ich", "wir", "mein", "meine", "mir", "uns", "sie", "ein", "eine", "einen", "einem", "der", "die", "das",
    "den", "dem", "für", "bitte", "möchte", "möchten", "würde", "gerne", "können", "könnten", "kannst", "neues",
    "neue", "neuen", "hallo", "danke", "je", "j'ai", "nous", "mon", "ma", "mes", "moi", "vous", "un", "une", "le",
    "la", "les", "l'incident", "pour", "de", "du", "des", "s'il", "plaît", "svp", "voudrais", "veux", "pouvez",
    "peux", "merci", "bonjour", "yo", "nosotros", "mi", "mis", "usted", "una", "el", "los", "las", "por", "favor",
    "para", "del", "quiero", "quisiera", "puede", "puedes", "podría", "necesito", "hola", "gracias", "nueva",
    "nuevo"
})
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CJK_FRAMING = re.compile(r"请|帮我|我要|我想|给我|一个|一下|麻烦|工单|开|提交|创建|谢谢|你好")
# What is left of the request in front of the problem ("for me - the projector …", "? La borne …").
_LEADING = re.compile(r"^(?:[\s:,;.!?？。，、\-–—]|\b(?:for|to|me|us|please|pls|bitte|por|favor|s'il|vous|plaît|"
                      r"pour|moi|para|mí)\b)+", re.IGNORECASE)
# A thanks or an okay in front of a new question ("thanks. also how do I set an out of office?"), with the words
# that join the question to it: they say nothing about the question, and in the search they weigh like its words.
_ACKNOWLEDGEMENT = re.compile(
    r"^\W*(?:(?:thanks?(?: you)?(?: (?:so|very) much)?|thx|ty|cheers|ok(?:ay)?|great|perfect|cool|nice|done|"
    r"got it|that (?:worked|helped)|danke(?: schön)?|alles klar|merci(?: beaucoup)?|d'accord|gracias|vale|"
    r"谢谢|好的|好|嗯|明白了?|收到|了解了?)(?:\s*[.!,;:。，！]+\s*|\s+|$)"
    r")+(?:(?:(?:and|also|btw|by the way|und|et|y|aussi|también|auch)\b|另外|还有|顺便问一下|顺便|此外)[\s,，]*)*",
    re.IGNORECASE)
# A question by its form: a question mark at the end, or a question word or "can I" / "do I" in front.
_QUESTION = re.compile(r"[?？]\s*$|^\W*(how|where|what|which|who|why|when|can i|could i|do i|is there|wie|wo|was|"
                       r"welche[rs]?|kann ich|comment|où|quel(le)?s?|puis-je|cómo|como|dónde|donde|qué|cuál|"
                       r"puedo)\b|^\W*(怎么|如何|哪)", re.IGNORECASE)
# A failure said in a longer message: a negated verb ("won't start", "can't connect", "kein Netz") beside `_NO`.
_NEGATION = re.compile(r"n't\b|\b(cannot|kein|keine|keinen|nothing|nichts|rien|nada|ningún|ninguna)\b"
                       r"|不(?!客气|错)|没(?!问题|事)", re.IGNORECASE)
PROBLEM_MIN_WORDS = 2
PROBLEM_MIN_CJK = 4
SHORT_REPLY_WORDS = 8


class Reply(StrEnum):
    YES = "yes"
    NO = "no"
    OTHER = "other"


def wants_human(text: str) -> bool:
    """Whether the requester asks for a person ("talk to a human", "agent please", "call me back", ...)."""
    return bool(_HUMAN.search(text) or _HUMAN_ELSEWHERE.search(text) or _CALL_BACK.search(text))


def wants_ticket(text: str) -> bool:
    """Whether the requester asks in so many words for a ticket to be opened."""
    return bool(_TICKET.search(text))


def stated_problem(text: str) -> str | None:
    """What is wrong, when a request for a ticket already says it ("Please open a ticket: the badge reader in
    building B rejects every badge" → "the badge reader in building B rejects every badge"); None when the
    message is only the request ("I need to open an incident"): at least two words beyond the request's own
    framing, or four Chinese characters beyond it."""
    match = _TICKET.search(text)
    if match is None:
        return None
    parts = (text[match.end():], text[:match.start()])  # the problem usually follows the request
    if _CJK.search(text):
        counts = [len(_CJK.findall(_CJK_FRAMING.sub("", part))) for part in parts]
        enough = PROBLEM_MIN_CJK
    else:
        counts = [sum(w not in _FRAMING for w in _WORDS.findall(part.lower())) for part in parts]
        enough = PROBLEM_MIN_WORDS
    best = max(range(2), key=lambda i: counts[i])
    if counts[best] < enough:
        return None
    words = parts[best].split()
    while best == 1 and words and words[-1].strip(",;:-–—").lower() in _FRAMING:
        words.pop()  # "My monitor flickers, I need to [open a ticket]"
    return _LEADING.sub("", " ".join(words)).rstrip(" :,;-–—，、请") or None


def classify(text: str) -> Reply:
    """YES or NO for an answer to "did this solve it?"; OTHER for anything longer or unclear (a new question)."""
    lowered = text.lower().strip()
    if any(p in lowered for p in _NO_PHRASES):
        return Reply.NO
    if any(p in lowered for p in _YES_PHRASES):
        return Reply.YES
    words = _WORDS.findall(lowered)
    if not words or len(words) > SHORT_REPLY_WORDS:
        return Reply.OTHER
    if words[0] in _NO or any(w in _NO for w in words):
        return Reply.NO
    if words[0] in _YES:
        return Reply.YES
    return Reply.OTHER


def reports_failure(text: str) -> bool:
    """Whether `text`, however long, says something still fails: a phrase or word `classify` reads as no, or a
    negation ("rebooted, no change. thanks", "thanks, but Outlook won't open now")."""
    lowered = text.lower()
    return (any(p in lowered for p in _NO_PHRASES) or any(w in _NO for w in _WORDS.findall(lowered))
            or bool(_NEGATION.search(lowered)))


def reports_fix(text: str) -> bool:
    """Whether `text` says the problem is gone ("never mind, it works now", "fixed it myself, thanks"), as
    opposed to a bare yes or okay, and says nothing still fails."""
    lowered = text.lower()
    return not reports_failure(text) and (any(p in lowered for p in _YES_PHRASES)
                                          or any(w in _FIXED for w in _WORDS.findall(lowered)))


def without_acknowledgement(text: str) -> str:
    """The question after a leading thanks or okay and the words joining it on ("thanks. also how do I set an out
    of office?" → "how do I set an out of office?"); `text` itself when nothing or nothing else is left."""
    rest = _ACKNOWLEDGEMENT.sub("", text, count=1).strip()
    return rest if _WORDS.search(rest) else text


def is_question(text: str) -> bool:
    """Whether `text` is worded as a question ("how do I ...", "where is ...?", "怎么设置...")."""
    return bool(_QUESTION.search(text.strip()))
