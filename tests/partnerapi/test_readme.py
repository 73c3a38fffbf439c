"""README "Partner API": its curl examples, run as written (host, key and ids of a test scene substituted)."""

import json
import re
import shlex
from pathlib import Path

from django.conf import settings

from creditexchange.models import RecommendationEvent

README = Path(settings.BASE_DIR) / "README.md"
MARK = "# partner-api-examples"


def readme_examples() -> list[str]:
    """The curl commands of the README's example block (continuation lines joined)."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.S)
    [block] = [b for b in blocks if b.startswith(MARK)]
    lines = block.replace("\\\n", " ").splitlines()
    return [line.strip() for line in lines if line.strip().startswith("curl ")]


def _substitute(command: str, values: dict) -> str:
    return re.sub(r"\$(\w+)", lambda m: values[m.group(1)], command)


def run_curl(client, command: str, values: dict):
    """What curl would send, sent with the Django test client: -X, -H, -d, -o, -s and the URL only."""
    words = shlex.split(_substitute(command, values))
    assert words[0] == "curl"
    method, headers, data, url, output, i = "GET", {}, None, None, None, 1
    while i < len(words):
        word = words[i]
        if word == "-s":
            i += 1
            continue
        if word in ("-X", "-H", "-d", "-o"):
            value = words[i + 1]
            if word == "-X":
                method = value
            elif word == "-H":
                name, _sep, header = value.partition(":")
                headers[name.strip()] = header.strip()
            elif word == "-d":
                data, method = value, ("POST" if method == "GET" else method)
            else:
                output = value
            i += 2
            continue
        assert word.startswith("http"), f"unknown curl word {word!r}"
        url, i = word, i + 1
    path = url.removeprefix(values["HOST"])
    content_type = headers.pop("Content-Type", "application/octet-stream")
    response = client.generic(method, path, data or "", content_type=content_type, headers=headers)
    return response, output


def test_the_readme_examples_work_as_written(client, api):
    commands = readme_examples()
    assert len(commands) == 9
    line = api.hanbit_list.recommendations.order_by("pk").first()
    first = client.get("/api/v1/registrations/", HTTP_AUTHORIZATION=f"Bearer {api.hanbit_key}").json()
    values = {
        "HOST": "https://portal.example.ac.kr", "KEY": api.hanbit_key, "TERM": str(api.base.term.pk),
        "LIST": str(api.hanbit_list.pk), "LINE": str(line.pk), "CODE": api.hanbit_transcript.code,
        "SINCE": first["next_since"],
    }
    answers = []
    for command in commands:
        response, output = run_curl(client, command, values)
        assert response.status_code == 200, (command, response.content[:500])
        answers.append((response, output))
    assert answers[1][0].json()["results"][0]["id"] == api.hanbit_list.pk
    assert answers[3][0].json()["changed"] == 1
    event = RecommendationEvent.objects.get()
    assert (event.recommendation_id, event.to_decision, event.to_comment) == (line.pk, "recommended", "Good standing")
    assert answers[5][0].json()["results"] == []  # nothing changed since
    pdf, output = answers[8]
    assert output == "transcript.pdf" and pdf.content == b"%PDF-1.7 hanbit"
    assert json.loads(answers[0][0].content)[0]["id"] == api.base.term.pk


def test_the_readme_block_is_where_the_section_says():
    text = README.read_text()
    assert "## Partner API" in text and MARK in text
    assert text.index("## Partner API") < text.index(MARK)
