"""Brief answers to messages that are not a request for IT help: no article, no ticket, the chat stays open.

Said in the requester's language (the chat's five); a language without its own text gets English."""

from __future__ import annotations

from deskpilot.conversations.intents import Intent
from deskpilot.conversations.phrases import ENGLISH

ANSWERS: dict[Intent, dict[str, str]] = {
    Intent.GREETING: {
        "en": "Hello! I am the service desk's assistant. Tell me what you need: describe a problem or a question, "
              "ask about one of your tickets, or ask for a person.",
        "de": "Hallo! Ich bin der Assistent des Service Desks. Sagen Sie mir, was Sie brauchen: beschreiben Sie ein "
              "Problem oder eine Frage, fragen Sie nach einem Ihrer Tickets oder nach einer Person.",
        "fr": "Bonjour ! Je suis l'assistant du service desk. Dites-moi ce dont vous avez besoin : décrivez un "
              "problème ou une question, demandez où en est l'un de vos tickets, ou demandez une personne.",
        "es": "¡Hola! Soy el asistente del service desk. Dígame qué necesita: describa un problema o una pregunta, "
              "pregunte por uno de sus tickets o pida hablar con una persona.",
        "zh": "您好！我是服务台的助手。请告诉我您需要什么：描述一个问题，询问您的工单，或要求人工服务。",
    },
    Intent.THANKS: {
        "en": "You are welcome! Is there anything else I can help with?",
        "de": "Gern geschehen! Kann ich sonst noch helfen?",
        "fr": "Avec plaisir ! Puis-je vous aider pour autre chose ?",
        "es": "¡De nada! ¿Puedo ayudarle con algo más?",
        "zh": "不客气！还有其他需要帮忙的吗？",
    },
    Intent.GOODBYE: {
        "en": "Goodbye! If anything else comes up, write here any time.",
        "de": "Auf Wiedersehen! Wenn noch etwas ist, schreiben Sie jederzeit hier.",
        "fr": "Au revoir ! Si autre chose se présente, écrivez ici à tout moment.",
        "es": "¡Adiós! Si surge algo más, escriba aquí cuando quiera.",
        "zh": "再见！如有其他问题，随时在这里留言。",
    },
    Intent.BOT_QUESTION: {
        "en": "I am the service desk's virtual assistant, not a person. I answer from the desk's approved articles, "
              "check your tickets and open new ones. If you would rather talk to a person, say \u201ctalk to a "
              "human\u201d at any time.",
        "de": "Ich bin der virtuelle Assistent des Service Desks, keine Person. Ich antworte aus den freigegebenen "
              "Artikeln, prüfe Ihre Tickets und eröffne neue. Wenn Sie lieber mit einer Person sprechen, schreiben "
              "Sie jederzeit \u201eMitarbeiter bitte\u201c.",
        "fr": "Je suis l'assistant virtuel du service desk, pas une personne. Je réponds à partir des articles "
              "approuvés, je consulte vos tickets et j'en ouvre de nouveaux. Si vous préférez parler à une personne, "
              "écrivez « parler à un humain » à tout moment.",
        "es": "Soy el asistente virtual del service desk, no una persona. Respondo con los artículos aprobados, "
              "consulto sus tickets y abro nuevos. Si prefiere hablar con una persona, escriba «hablar con una "
              "persona» cuando quiera.",
        "zh": "我是服务台的虚拟助手，不是真人。我根据服务台批准的文章回答问题，查询您的工单并创建新工单。"
              "如果您想与人工客服交谈，随时输入“转人工”。",
    },
    Intent.CAPABILITIES: {
        "en": "I can answer IT how-to questions and problems from the approved knowledge base, go through "
              "troubleshooting steps with you, reset your password or unlock your account, tell you the status of "
              "your tickets, open a new ticket, or hand you to a person. Just describe what you need.",
        "de": "Ich beantworte IT-Fragen und Probleme aus der freigegebenen Wissensdatenbank, gehe Schritte zur "
              "Fehlerbehebung mit Ihnen durch, setze Ihr Passwort zurück oder entsperre Ihr Konto, nenne den Stand "
              "Ihrer Tickets, eröffne ein neues Ticket oder verbinde Sie mit einer Person. Beschreiben Sie einfach, "
              "was Sie brauchen.",
        "fr": "Je réponds aux questions et problèmes informatiques à partir de la base de connaissances approuvée, "
              "je parcours avec vous les étapes de dépannage, je réinitialise votre mot de passe ou débloque votre "
              "compte, je vous donne l'état de vos tickets, j'ouvre un nouveau ticket ou je vous passe une personne. "
              "Décrivez simplement ce dont vous avez besoin.",
        "es": "Respondo preguntas y problemas de TI con la base de conocimiento aprobada, recorro con usted los "
              "pasos de solución, restablezco su contraseña o desbloqueo su cuenta, le digo el estado de sus "
              "tickets, abro un ticket nuevo o le paso con una persona. Solo describa lo que necesita.",
        "zh": "我可以根据批准的知识库回答 IT 操作问题和故障，陪您逐步排查，重置密码或解锁账户，告诉您工单的状态，"
              "创建新工单，或为您转接人工。请直接描述您的需要。",
    },
    Intent.OUT_OF_SCOPE: {
        "en": "That is outside what the IT service desk handles, so I cannot help with it here; facilities, HR, "
              "catering and travel have their own channels. I have not opened a ticket. If you think it is an IT "
              "matter after all, say \u201ctalk to a human\u201d and a person from the service desk will look at it.",
        "de": "Das gehört nicht zu den Aufgaben des IT-Service-Desks, daher kann ich hier nicht helfen; Facility "
              "Management, Personal, Kantine und Reisen haben eigene Kanäle. Ich habe kein Ticket eröffnet. Wenn es "
              "doch ein IT-Thema ist, schreiben Sie \u201eMitarbeiter bitte\u201c, und eine Person vom Service Desk "
              "sieht es sich an.",
        "fr": "Cela ne relève pas du service desk informatique, je ne peux donc pas vous aider ici ; les services "
              "généraux, les RH, la restauration et les voyages ont leurs propres canaux. Je n'ai pas ouvert de "
              "ticket. Si c'est bien un sujet informatique, écrivez « parler à un humain » et une personne du "
              "service desk s'en occupera.",
        "es": "Eso no lo gestiona el service desk de TI, así que no puedo ayudarle aquí; instalaciones, RR. HH., "
              "comedor y viajes tienen sus propios canales. No he abierto ningún ticket. Si cree que sí es un tema "
              "de TI, escriba «hablar con una persona» y alguien del service desk lo revisará.",
        "zh": "这不属于 IT 服务台的处理范围，所以我无法在这里帮助您；行政、人事、餐饮和差旅有各自的渠道。"
              "我没有创建工单。如果您认为这确实是 IT 问题，请输入“转人工”，服务台的工作人员会查看。",
    },
}


def answer(intent: Intent, language: str = ENGLISH) -> str | None:
    """The brief answer, in `language`, to small talk, a question about the assistant, or an out-of-scope
    request; None for intents that need more than a sentence."""
    texts = ANSWERS.get(intent)
    return None if texts is None else texts.get(language, texts[ENGLISH])
