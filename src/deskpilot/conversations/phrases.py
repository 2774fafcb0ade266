"""The assistant's fixed phrases in the requester's language, and which language that is. Pure.

A small catalogue: English, German, French, Spanish and Chinese. A phrase missing in a language falls back
to English, so adding a phrase never breaks a language. The requester's language is detected from each new
question with the bundled fastText "lite" model (`triage.language`); a question too short or too unclear to
tell ("VPN?", "ok") keeps the language the conversation already has.
"""

from __future__ import annotations

import re
from typing import Final

from deskpilot.triage.language import detect_language

ENGLISH: Final = "en"
# Below this confidence the guess is not acted on: short English questions full of product names
# ("Outlook VPN Teams") are the usual misfires.
MIN_CONFIDENCE: Final = 0.6

LANGUAGES: Final = frozenset({"en", "de", "fr", "es", "zh"})
_HAN = re.compile(r"[\u4e00-\u9fff]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
# A clause ends at sentence punctuation or a comma followed by a space (not "0.88" or "1,5"), at the punctuation
# Chinese writes without spaces, or at a dash between spaces.
_CLAUSE_END = re.compile(r"[.!?;,:]+(?=\s|$)|[\u3002\uff01\uff1f\uff1b\uff0c\uff1a\u3001]+|\s[-\u2013\u2014]\s")

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
    "ask_what_is_wrong": {
        "en": "Sure, I will open a ticket for you. What is wrong? Describe it in a sentence or two: what you were "
              "doing, what happened and any error message shown. I open the ticket with your next message.",
        "de": "Gern, ich eröffne ein Ticket für Sie. Was ist das Problem? Beschreiben Sie es in ein, zwei Sätzen: "
              "was Sie gerade getan haben, was passiert ist und welche Fehlermeldung erschien. Mit Ihrer nächsten "
              "Nachricht eröffne ich das Ticket.",
        "fr": "Bien sûr, je vais ouvrir un ticket pour vous. Quel est le problème ? Décrivez-le en une ou deux "
              "phrases : ce que vous faisiez, ce qui s'est passé et le message d'erreur affiché. J'ouvre le ticket "
              "avec votre prochain message.",
        "es": "Claro, abriré un ticket para usted. ¿Qué ocurre? Descríbalo en una o dos frases: qué estaba "
              "haciendo, qué pasó y qué mensaje de error apareció. Abro el ticket con su próximo mensaje.",
        "zh": "好的，我会为您创建工单。出了什么问题？请用一两句话描述：您当时在做什么、发生了什么以及显示的错误信息。"
              "我会用您的下一条消息创建工单。",
    },
    "ask_what_to_report": {
        "en": "Sure. What is wrong? Describe it in a sentence or two: what you were doing, what happened and any "
              "error message shown.",
        "de": "Gern. Was ist das Problem? Beschreiben Sie es in ein, zwei Sätzen: was Sie gerade getan haben, was "
              "passiert ist und welche Fehlermeldung erschien.",
        "fr": "Bien sûr. Quel est le problème ? Décrivez-le en une ou deux phrases : ce que vous faisiez, ce qui "
              "s'est passé et le message d'erreur affiché.",
        "es": "Claro. ¿Qué ocurre? Descríbalo en una o dos frases: qué estaba haciendo, qué pasó y qué mensaje de "
              "error apareció.",
        "zh": "好的。出了什么问题？请用一两句话描述：您当时在做什么、发生了什么以及显示的错误信息。",
    },
    "reported": {
        "en": "Thank you, I have noted that.",
        "de": "Danke, ich habe das notiert.",
        "fr": "Merci, j'ai bien noté.",
        "es": "Gracias, lo he anotado.",
        "zh": "谢谢，我已记下。",
    },
    "ticket_on_request": {
        "en": "I opened ticket DP-{ticket} for you: \u201c{subject}\u201d. {promise} A person from the service desk "
              "will reply here and on the ticket.",
        "de": "Ich habe das Ticket DP-{ticket} für Sie eröffnet: \u201e{subject}\u201c. {promise} Eine Person vom "
              "Service Desk antwortet hier und im Ticket.",
        "fr": "J'ai ouvert le ticket DP-{ticket} pour vous : « {subject} ». {promise} Une personne du service desk "
              "vous répondra ici et sur le ticket.",
        "es": "He abierto el ticket DP-{ticket} para usted: «{subject}». {promise} Una persona del service desk le "
              "responderá aquí y en el ticket.",
        "zh": "我已为您创建工单 DP-{ticket}：“{subject}”。{promise}服务台的工作人员会在这里和工单中回复您。",
    },
    "ticket_with_context": {
        "en": "I opened ticket DP-{ticket} for you with {carried}. {promise} A person from the service desk will "
              "reply here and on the ticket.",
        "de": "Ich habe das Ticket DP-{ticket} für Sie eröffnet, mit {carried}. {promise} Eine Person vom Service "
              "Desk antwortet hier und im Ticket.",
        "fr": "J'ai ouvert le ticket DP-{ticket} pour vous avec {carried}. {promise} Une personne du service desk "
              "vous répondra ici et sur le ticket.",
        "es": "He abierto el ticket DP-{ticket} para usted con {carried}. {promise} Una persona del service desk le "
              "responderá aquí y en el ticket.",
        "zh": "我已为您创建工单 DP-{ticket}，附上{carried}。{promise}服务台的工作人员会在这里和工单中回复您。",
    },
    "carried_tried": {"en": "everything we tried", "de": "allem, was wir versucht haben",
                      "fr": "tout ce que nous avons essayé", "es": "todo lo que hemos probado",
                      "zh": "我们尝试过的所有步骤"},
    "carried_said": {"en": "your question and what you told me", "de": "Ihrer Frage und Ihren Angaben",
                     "fr": "votre question et ce que vous m'avez dit", "es": "su pregunta y lo que me ha contado",
                     "zh": "您的问题和您提供的信息"},
    "which_device": {
        "en": "To find the right steps: Which device is this on? Choose one: {options}.",
        "de": "Damit ich die richtigen Schritte finde: Auf welchem Gerät ist das? Wählen Sie eines: {options}.",
        "fr": "Pour trouver les bonnes étapes : sur quel appareil est-ce ? Choisissez : {options}.",
        "es": "Para encontrar los pasos adecuados: ¿en qué dispositivo ocurre? Elija uno: {options}.",
        "zh": "为了找到正确的步骤：这是在哪种设备上？请选择：{options}。",
    },
    "device_chosen": {
        "en": "Thanks. For {chosen}, \u201c{title}\u201d has steps we can try together.",
        "de": "Danke. Für {chosen} hat \u201e{title}\u201c Schritte, die wir gemeinsam durchgehen können.",
        "fr": "Merci. Pour {chosen}, « {title} » propose des étapes que nous pouvons essayer ensemble.",
        "es": "Gracias. Para {chosen}, «{title}» tiene pasos que podemos probar juntos.",
        "zh": "谢谢。针对 {chosen}，《{title}》中有我们可以一起尝试的步骤。",
    },
    "step": {
        "en": "Step {number} of {total} from \u201c{title}\u201d: {step} {citation}",
        "de": "Schritt {number} von {total} aus \u201e{title}\u201c: {step} {citation}",
        "fr": "Étape {number} sur {total} de « {title} » : {step} {citation}",
        "es": "Paso {number} de {total} de «{title}»: {step} {citation}",
        "zh": "《{title}》第 {number} 步（共 {total} 步）：{step} {citation}",
    },
    "step_question": {
        "en": "Did that fix it? Tell me what happened, or answer yes if it works now.",
        "de": "Hat das geholfen? Schreiben Sie, was passiert ist, oder antworten Sie mit ja, wenn es jetzt geht.",
        "fr": "Cela a-t-il réglé le problème ? Dites-moi ce qui s'est passé, ou répondez oui si cela fonctionne.",
        "es": "¿Lo ha solucionado? Cuénteme qué pasó, o responda sí si ya funciona.",
        "zh": "这样解决了吗？请告诉我发生了什么，如果现在正常了请回答是。",
    },
    "skipped_step": {
        "en": "You said you already did that ({action}), so I skipped step {number}.",
        "de": "Sie haben das schon getan ({action}), daher habe ich Schritt {number} übersprungen.",
        "fr": "Vous avez déjà fait cela ({action}), j'ai donc sauté l'étape {number}.",
        "es": "Dijo que ya lo había hecho ({action}), así que me salté el paso {number}.",
        "zh": "您说已经做过（{action}），所以我跳过了第 {number} 步。",
    },
    "offer_ticket": {
        "en": "Shall I open a ticket for the service desk with everything you told me?",
        "de": "Soll ich ein Ticket für den Service Desk mit allen Ihren Angaben eröffnen?",
        "fr": "Voulez-vous que j'ouvre un ticket pour le service desk avec tout ce que vous m'avez dit ?",
        "es": "¿Abro un ticket para el service desk con todo lo que me ha contado?",
        "zh": "要我把您提供的所有信息提交给服务台并创建工单吗？",
    },
    "offer_choice": {
        "en": "Answer yes to open it, or no.",
        "de": "Antworten Sie mit ja, um es zu eröffnen, oder mit nein.",
        "fr": "Répondez oui pour l'ouvrir, ou non.",
        "es": "Responda sí para abrirlo, o no.",
        "zh": "回答“是”创建工单，或回答“否”。",
    },
    "offer_choice_continue": {
        "en": "Answer yes to open it, or continue to try the next step.",
        "de": "Antworten Sie mit ja, um es zu eröffnen, oder mit weiter, um den nächsten Schritt zu versuchen.",
        "fr": "Répondez oui pour l'ouvrir, ou continuer pour essayer l'étape suivante.",
        "es": "Responda sí para abrirlo, o continuar para probar el siguiente paso.",
        "zh": "回答“是”创建工单，或回答“继续”尝试下一步。",
    },
    "closest_articles": {
        "en": "I am not sure any approved article answers this exactly. These are the closest I found, the most "
              "likely first:",
        "de": "Ich bin nicht sicher, ob ein freigegebener Artikel genau das beantwortet. Diese kommen am nächsten, "
              "der wahrscheinlichste zuerst:",
        "fr": "Je ne suis pas sûr qu'un article approuvé réponde exactement à cela. Voici les plus proches que j'ai "
              "trouvés, le plus probable en premier :",
        "es": "No estoy seguro de que algún artículo aprobado responda exactamente a esto. Estos son los más "
              "cercanos que he encontrado, el más probable primero:",
        "zh": "我不确定是否有已批准的文章能准确回答这个问题。以下是我找到的最接近的文章，最可能的排在最前：",
    },
    "closest_confirm": {
        "en": "Did one of them solve it? Answer yes or no: if not, I will go through steps with you or offer to "
              "open a ticket, and “talk to a human” reaches a person at any time.",
        "de": "Hat einer davon geholfen? Antworten Sie mit ja oder nein: wenn nicht, gehe ich Schritte mit Ihnen "
              "durch oder biete ein Ticket an, und „mit einem Menschen sprechen“ erreicht jederzeit eine Person.",
        "fr": "L'un d'eux a-t-il résolu le problème ? Répondez par oui ou non : sinon, je vous guiderai pas à pas "
              "ou vous proposerai d'ouvrir un ticket, et « parler à un humain » vous met en contact avec une "
              "personne à tout moment.",
        "es": "¿Alguno de ellos lo ha resuelto? Responda sí o no: si no, veremos pasos juntos o le ofreceré abrir "
              "un ticket, y «hablar con una persona» le pone en contacto con alguien en cualquier momento.",
        "zh": "其中有一篇解决了您的问题吗？请回答是或否：如果没有，我会和您一起尝试步骤或为您提交工单；"
              "随时输入“talk to a human”即可联系工作人员。",
    },
    "no_article": {
        "en": "I found no approved article that answers this.",
        "de": "Ich habe keinen freigegebenen Artikel gefunden, der das beantwortet.",
        "fr": "Je n'ai trouvé aucun article approuvé qui réponde à cela.",
        "es": "No he encontrado ningún artículo aprobado que responda a esto.",
        "zh": "我没有找到能回答这个问题的已批准文章。",
    },
    "steps_failed": {
        "en": "We have tried {count} steps without luck.",
        "de": "Wir haben {count} Schritte ohne Erfolg versucht.",
        "fr": "Nous avons essayé {count} étapes sans succès.",
        "es": "Hemos probado {count} pasos sin éxito.",
        "zh": "我们已经尝试了 {count} 个步骤，但没有解决。",
    },
    "last_step": {
        "en": "That was the last step of \u201c{title}\u201d I can suggest.",
        "de": "Das war der letzte Schritt aus \u201e{title}\u201c, den ich vorschlagen kann.",
        "fr": "C'était la dernière étape de « {title} » que je peux proposer.",
        "es": "Ese era el último paso de «{title}» que puedo sugerir.",
        "zh": "这是《{title}》中我能建议的最后一步。",
    },
    "not_solved_walk": {
        "en": "Sorry that did not solve it. Let us go through the steps one at a time.",
        "de": "Schade, dass das nicht geholfen hat. Gehen wir die Schritte einzeln durch.",
        "fr": "Désolé que cela n'ait pas suffi. Reprenons les étapes une par une.",
        "es": "Siento que no lo haya resuelto. Veamos los pasos uno a uno.",
        "zh": "很抱歉没有解决。我们来一步一步地尝试。",
    },
    "not_solved_no_steps": {
        "en": "Sorry that did not solve it, and its article has no steps to try.",
        "de": "Schade, dass das nicht geholfen hat; der Artikel hat keine Schritte zum Ausprobieren.",
        "fr": "Désolé que cela n'ait pas suffi ; l'article ne propose pas d'étapes à essayer.",
        "es": "Siento que no lo haya resuelto; el artículo no tiene pasos que probar.",
        "zh": "很抱歉没有解决，而且这篇文章没有可以尝试的步骤。",
    },
    "ask_details": {
        "en": "Tell me a little more so I can find the right help: which app or device is it, what were you doing, "
              "and what happened or which error did you see?",
        "de": "Erzählen Sie mir etwas mehr, damit ich die richtige Hilfe finde: Um welche Anwendung oder welches "
              "Gerät geht es, was haben Sie gerade getan, und was ist passiert oder welche Fehlermeldung kam?",
        "fr": "Dites-m'en un peu plus pour que je trouve la bonne aide : quelle application ou quel appareil, que "
              "faisiez-vous, et que s'est-il passé ou quel message d'erreur avez-vous vu ?",
        "es": "Cuénteme un poco más para encontrar la ayuda adecuada: ¿qué aplicación o dispositivo es, qué estaba "
              "haciendo y qué pasó o qué error vio?",
        "zh": "请再多告诉我一些，以便找到合适的帮助：是哪个应用或设备？您当时在做什么？发生了什么或看到了什么错误？",
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
    if written_in_chinese(question):
        return "zh"
    return previous or ENGLISH


def written_in_chinese(text: str) -> bool:
    """Whether the script says Chinese where the detector cannot: a greeting too short to detect ("您好") or a
    sentence around Latin product names ("换了新手机，怎么设置Okta Verify？": zh at 0.31). Of the chat's
    languages only Chinese is written in Han characters; with kana or hangul it is Japanese or Korean, and an
    English sentence naming a person in Han characters has more Latin words than Han characters."""
    han = len(_HAN.findall(text))
    return han >= 2 and not _KANA_HANGUL.search(text) and han >= len(_LATIN_WORD.findall(text))


def clauses(text: str) -> list[str]:
    """The non-empty clauses of `text`, in order (one, `text` stripped, when it has no clause end)."""
    return [part.strip() for part in _CLAUSE_END.split(text) if part.strip()]
