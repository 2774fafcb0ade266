"""The e-mail channel: shared-inbox intake (IMAP, SMTP), threading, acknowledgements and the outbox."""
