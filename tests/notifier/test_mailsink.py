import hashlib
import smtplib
import subprocess
import sys
from pathlib import Path

from xunjian.mailsink import start_mail_sink


def send(port: int, message_id: str) -> None:
    raw = f"Message-ID: {message_id}\r\nTo: a@example.gov.cn\r\nSubject: test\r\n\r\nbody\r\n".encode()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.sendmail("xunjian@example.gov.cn", ["a@example.gov.cn"], raw)


def test_each_message_is_one_eml_named_by_sequence_and_message_id_hash_and_numbering_survives_a_restart(
    tmp_path: Path,
) -> None:
    sink, port = start_mail_sink(tmp_path, "127.0.0.1", 0)
    try:
        assert port > 0
        send(port, "<one@example.gov.cn>")
        send(port, "<two@example.gov.cn>")
    finally:
        sink.stop()
    sink, port = start_mail_sink(tmp_path, "127.0.0.1", 0)
    try:
        send(port, "<three@example.gov.cn>")
    finally:
        sink.stop()

    names = sorted(p.name for p in tmp_path.iterdir())
    digest = hashlib.sha256(b"<three@example.gov.cn>").hexdigest()[:16]
    assert [n.split("-")[0] for n in names] == ["000001", "000002", "000003"]
    assert names[2] == f"000003-{digest}.eml"  # no temporary file left behind
    assert (tmp_path / names[0]).read_bytes().startswith(b"Message-ID: <one@example.gov.cn>\r\n")


def test_the_command_prints_the_bound_port_first(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "xunjian.mailsink", "--dir", str(tmp_path), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        word, port = proc.stdout.readline().split()
        assert word == "listening"
        send(int(port), "<cli@example.gov.cn>")
        assert len(list(tmp_path.glob("*.eml"))) == 1
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
