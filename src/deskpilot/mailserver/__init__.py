"""The connection to the desk's mail server, shared by whatever sends or reads mail: the e-mail channel (outbox,
IMAP poller) and the runbooks' one-time codes. SMTP sending (`smtp`) and OAuth2 sign-in (`oauth2`)."""
