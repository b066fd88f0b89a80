"""Outgoing mail: SMTP when configured, otherwise one file per message in the outbox folder."""

import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app


def send(to: str, subject: str, body: str) -> EmailMessage:
    """Send a plain-text message; without MAIL_SERVER it is written to MAIL_OUTBOX_DIR."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="screenings.local")
    message["Date"] = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    message.set_content(body)
    if config["MAIL_SERVER"]:
        _send_smtp(message)
    else:
        _write_to_outbox(message)
    return message


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    context = ssl.create_default_context()
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(config["MAIL_SERVER"], config["MAIL_PORT"], context=context,
                                timeout=20)
    else:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20)
    with smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls(context=context)
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def _write_to_outbox(message: EmailMessage) -> Path:
    """Write the message as an .eml file a person can open (one machine, no mail server)."""
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    safe_to = "".join(ch if ch.isalnum() or ch in "@.-_" else "_" for ch in message["To"])
    path = outbox / f"{stamp}-{safe_to}.eml"
    path.write_bytes(bytes(message))
    return path


def outbox_messages() -> list[EmailMessage]:
    """Messages written to the outbox, oldest first (for tests and people without SMTP)."""
    from email import policy
    from email.parser import BytesParser

    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    if not outbox.exists():
        return []
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in sorted(outbox.glob("*.eml"))]
