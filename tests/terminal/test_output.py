"""BoundedBuffer and clean(): pure, no sandbox needed."""

from __future__ import annotations

import os

from terminal_gym.output import BoundedBuffer, clean, omission_marker, strip_ansi


def test_small_output_is_kept_whole():
    buf = BoundedBuffer(100)
    buf.append(b"hello ")
    buf.append(b"world\n")
    assert buf.text() == "hello world\n"
    assert buf.total == 12
    assert buf.omitted == 0
    assert not buf.truncated


def test_head_and_tail_kept_with_marker_and_omitted_count():
    buf = BoundedBuffer(20)  # 10 bytes head, 10 bytes tail
    data = b"".join(f"{i:04d}\n".encode() for i in range(200))  # 1000 bytes
    for i in range(0, len(data), 7):  # odd chunking crosses the head/tail boundary
        buf.append(data[i : i + 7])
    assert buf.total == len(data)
    assert buf.truncated
    assert buf.omitted == len(data) - 20
    assert bytes(buf.head) == data[:10]
    assert bytes(buf.tail) == data[-10:]
    text = buf.text()
    assert text.startswith("0000\n0001\n")
    assert text.endswith("0198\n0199\n")
    assert omission_marker(len(data) - 20) in text
    assert "980 bytes of output omitted" in text


def test_single_huge_append_is_bounded():
    buf = BoundedBuffer(1024)
    buf.append(b"y\n" * 500_000)
    assert buf.total == 1_000_000
    assert len(buf.head) + len(buf.tail) == 1024
    assert buf.omitted == 1_000_000 - 1024
    assert len(buf.text()) < 1024 + len(omission_marker(buf.omitted)) + 1


def test_exactly_at_limit_is_not_truncated():
    buf = BoundedBuffer(10)
    buf.append(b"0123456789")
    assert not buf.truncated
    assert buf.text() == "0123456789"
    buf.append(b"A")
    assert buf.truncated
    assert buf.omitted == 1
    assert buf.text().endswith("6789A")


def test_clean_strips_ansi_and_osc():
    raw = (
        b"\x1b]0;user@host: ~\x07"  # OSC title, BEL-terminated
        b"\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"  # OSC 8 hyperlink, ST-terminated
        b" \x1b[1;31mred\x1b[0m \x1b[?2004hplain\x1b(B\r\n"
        # keypad modes and cursor save / restore (python's readline sends ESC =)
        b"\x1b[?1h\x1b=\x1b7>>> \x1b8\x1b>\r\n"
    )
    assert clean(raw) == "link red plain\n>>> \n"
    assert strip_ansi("\x1b[32mok\x1b[K\x07") == "ok"


def test_clean_crlf_and_progress_bar_overwrites():
    assert clean(b"a\r\nb\r\n") == "a\nb\n"
    assert clean(b"10%\r50%\r100%\r\ndone\r\n") == "100%\ndone\n"
    assert clean(b"[==   ]\r[=====]\n") == "[=====]\n"
    # A lone trailing CR does not erase the line.
    assert clean(b"partial\r") == "partial"


def test_clean_keeps_unicode_and_tabs():
    assert clean("é日本 ✓\tx\r\n".encode()) == "é日本 ✓\tx\n"


def test_binary_bytes_do_not_crash():
    data = os.urandom(20_000) + bytes(range(256))
    text = clean(data)
    assert isinstance(text, str)
    assert "\x1b" not in text
    buf = BoundedBuffer(4096)
    buf.append(data)
    out = buf.text()
    assert isinstance(out, str)
    assert buf.truncated
    assert buf.total == len(data)
    # Invalid UTF-8 split between head and tail still decodes (with U+FFFD).
    half = BoundedBuffer(4)
    half.append("日本".encode())
    assert isinstance(half.text(), str)


def test_screen_survives_overwritten_wide_characters_and_random_bytes():
    import random

    from terminal_gym.terminal.screen import Screen

    screen = Screen(5, 20)
    screen.feed("日本\rab".encode())  # narrow characters over half of each wide one
    assert screen.render().splitlines()[0] == "ab本"
    rng = random.Random(38)  # `cat /dev/urandom` on the screen of a keys-mode env
    for _ in range(20):
        screen = Screen(40, 160)
        screen.feed(rng.randbytes(20_000))
        assert len(screen.render().split("\n")) == 40
