"""Local mail: each message is one .eml file under MAIL_DIR, readable at /dev/mailbox/."""

import uuid
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        directory = Path(settings.MAIL_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
            path = directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
            path.write_bytes(message.message().as_bytes())
        return len(email_messages)


def read_mailbox(limit: int = 100) -> list[dict]:
    directory = Path(settings.MAIL_DIR)
    if not directory.exists():
        return []
    messages = []
    for path in sorted(directory.glob("*.eml"), reverse=True)[:limit]:
        parsed: EmailMessage = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        text = parsed.get_body(preferencelist=("plain",))
        messages.append(
            {
                "id": path.stem,
                "to": parsed["To"],
                "subject": parsed["Subject"],
                "date": parsed["Date"],
                "body": text.get_content() if text else "",
            }
        )
    return messages
