"""The assistant's fixed phrases in the requester's language, and which language that is. Pure.

A small catalogue: English, German, French, Spanish and Chinese. A phrase missing in a language falls back
to English, so adding a phrase never breaks a language. The requester's language is detected from each new
question with the bundled fastText "lite" model (`triage.language`); a question too short or too unclear to
tell ("VPN?", "ok") keeps the language the conversation already has.
"""

from __future__ import annotations

from typing import Final

from deskpilot.triage.language import detect_language

ENGLISH: Final = "en"
# Below this confidence the guess is not acted on: short English questions full of product names
# ("Outlook VPN Teams") are the usual misfires.
MIN_CONFIDENCE: Final = 0.6

LANGUAGES: Final = frozenset({"en", "de", "fr", "es", "zh"})

CATALOGUE: Final[dict[str, dict[str, str]]] = {
    "confirm": {
        "en": "Did this solve it? Answer yes or no.",
        "de": "Hat das geholfen? Antworten Sie mit ja oder nein.",
        "fr": "Cela a-t-il résolu le problème ? Répondez par oui ou non.",
        "es": "¿Esto lo ha resuelto? Responda sí o no.",
        "zh": "这解决了您的问题吗？请回答是或否。",
    },
    "article_in_english": {
        "en": "",
        "de": "Diesen Artikel gibt es nur auf Englisch; hier ist er:",
        "fr": "Cet article n'existe qu'en anglais ; le voici :",
        "es": "Este artículo solo está disponible en inglés; aquí lo tiene:",
        "zh": "这篇文章只有英文版本，内容如下：",
    },
    "may_fit": {
        "en": "I am not sure I have the exact answer, but an article that may fit has steps we can try together.",
        "de": "Ich bin nicht sicher, ob ich die genaue Antwort habe, aber ein Artikel, der passen könnte, "
              "hat Schritte, die wir gemeinsam durchgehen können.",
        "fr": "Je ne suis pas sûr d'avoir la réponse exacte, mais un article qui pourrait convenir propose des "
              "étapes que nous pouvons essayer ensemble.",
        "es": "No estoy seguro de tener la respuesta exacta, pero un artículo que puede servir tiene pasos que "
              "podemos probar juntos.",
        "zh": "我不确定是否有确切的答案，但有一篇可能相关的文章，其中的步骤我们可以一起尝试。",
    },
    "ticket_opened": {
        "en": "I could not solve this here, so I opened ticket DP-{ticket} for you with everything we tried. "
              "{promise} A person from the service desk will reply here and on the ticket.",
        "de": "Ich konnte das hier nicht lösen und habe daher das Ticket DP-{ticket} für Sie eröffnet. {promise} "
              "Eine Person vom Service Desk antwortet hier und im Ticket.",
        "fr": "Je n'ai pas pu résoudre cela ici, j'ai donc ouvert le ticket DP-{ticket} pour vous. {promise} "
              "Une personne du service desk vous répondra ici et sur le ticket.",
        "es": "No he podido resolverlo aquí, así que he abierto el ticket DP-{ticket} para usted. {promise} "
              "Una persona del service desk le responderá aquí y en el ticket.",
        "zh": "我无法在这里解决这个问题，因此为您创建了工单 DP-{ticket}。{promise}"
              "服务台的工作人员会在这里和工单中回复您。",
    },
    "handed_off": {
        "en": "You asked for a person: DP-{ticket} is with the service desk. {promise} A member of the service "
              "desk will join this chat; everything you write until then is kept and shown to them.",
        "de": "Sie haben nach einer Person gefragt: DP-{ticket} liegt beim Service Desk. {promise} Jemand vom "
              "Service Desk kommt in diesen Chat; alles, was Sie bis dahin schreiben, wird aufbewahrt und gezeigt.",
        "fr": "Vous avez demandé une personne : DP-{ticket} est transmis au service desk. {promise} Un membre du "
              "service desk rejoindra ce chat ; tout ce que vous écrivez d'ici là est conservé et lui sera montré.",
        "es": "Ha pedido hablar con una persona: DP-{ticket} está en el service desk. {promise} Alguien del "
              "service desk se unirá a este chat; todo lo que escriba hasta entonces se guarda y se le mostrará.",
        "zh": "您要求人工服务：DP-{ticket} 已转交服务台。{promise}"
              "服务台的工作人员将加入此对话；在此之前您写的内容都会保留并展示给他们。",
    },
}


def phrase(key: str, language: str, **fields: object) -> str:
    """The phrase `key` in `language` (English when the catalogue has no such language), filled with `fields`."""
    texts = CATALOGUE[key]
    return texts.get(language, texts[ENGLISH]).format(**fields)


def requester_language(question: str, previous: str | None) -> str:
    """The language to search and answer in: the question's when the detector is confident and it is one the
    catalogue speaks, else the conversation's so far (`previous`), else English. Other languages are not acted
    on: the lite model calls short English questions Thai or Tagalog now and then ("MFA new phone": th 0.77)."""
    guess = detect_language(question)
    if guess.code in LANGUAGES and guess.confidence >= MIN_CONFIDENCE:
        return guess.code
    return previous or ENGLISH
