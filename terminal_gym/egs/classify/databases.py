"""Databases: ``sqlite3``, ``psql``, ``mysql``, ``mongosh``, ``redis-cli``, servers.

A client whose SQL (or command) only reads inspects; one that writes, or runs a file
of statements, acts; a client started without any statement is interactive (unknown).
Database servers and administration (``postgres``, ``createdb``...) act.
"""

from __future__ import annotations

import re

from terminal_gym.egs.classify.core import Acc, Ctx, acc, opts, word_set
from terminal_gym.egs.classify.registry import handles

_DATABASE_ADMIN = word_set(
    "redis-server mongod postgres pg_ctl pg_ctlcluster mysqld mysqld_safe initdb createdb"
    " dropdb createuser"
)
_SQL_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


_SQL_READ = re.compile(
    r"^(?:(?:select|with|explain|show|describe|desc|values|table)\b(?!.*\b(?:insert|update|delete"
    r"|drop|create|alter|replace)\s).*|pragma\s+[\w.]+(?:\s*\([^)]*\))?"
    r"|\.(?:tables|schema|fullschema|indexes|indices|headers|mode|dump|databases|help|width"
    r"|nullvalue|separator|quit|exit|show|dbinfo|print|timer|echo|bail|changes)\b.*"
    r"|\\[a-z+]*\b.*|\\q)$",
    re.IGNORECASE | re.DOTALL,
)


def _sql_reads_only(sql: str) -> bool:
    sql = _SQL_COMMENT.sub(" ", sql)
    statements: list[str] = []
    for line in sql.split("\n"):
        s = line.strip()
        if s.startswith((".", "\\")):
            statements.append(s)
        else:
            statements.extend(p.strip() for p in s.split(";"))
    return all(_SQL_READ.match(s) for s in statements if s)


@handles(*_DATABASE_ADMIN)
def _h_database_admin(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """Database servers and their administration: always change state."""
    return acc(name, "act")


@handles("sqlite3", "sqlite")
def _h_sqlite(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(
        args,
        word_set(
            "-cmd -init -separator -newline -nullvalue -vfs -mmap -maxsize "
            "-pagecache -lookaside -heap"
        ),
    )
    db = ctx.paths(w for w in o.operands[:1] if w != ":memory:")
    sql = o.values("-cmd") + o.operands[1:]
    if ctx.stdin_text is not None:
        sql.append(ctx.stdin_text)
    readonly = o.has("-readonly") or "-readonly" in args
    init = ctx.paths(o.values("-init"))
    if ctx.stdin_file or init:
        return acc(
            name, "act", [], db, executes=init + ([ctx.stdin_file] if ctx.stdin_file else [])
        )
    if not sql:
        return acc(name, "unknown", db)
    if readonly or _sql_reads_only("\n".join(sql)):
        return acc(name, "inspect", db)
    return acc(name, "act", [], db)


@handles("psql", "mysql", "mariadb", "mongo", "mongosh", "clickhouse-client", "duckdb")
def _h_sql_client(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    code_opt = {
        "psql": ("-c", "--command"),
        "mysql": ("-e", "--execute"),
        "mariadb": ("-e", "--execute"),
        "mongo": ("--eval",),
        "mongosh": ("--eval",),
        "clickhouse-client": ("-q", "--query"),
        "duckdb": ("-c",),
    }[name]
    o = opts(
        args,
        (
            *code_opt,
            "-f",
            "--file",
            "-h",
            "--host",
            "-U",
            "-u",
            "--user",
            "--username",
            "-d",
            "--dbname",
            "-D",
            "--database",
            "-p",
            "--port",
            "-P",
            "-W",
            "-v",
            "--set",
            "-o",
            "--output",
        ),
    )
    if name in ("mysql", "mariadb"):  # mysql's -p is the password, usually attached
        o = opts(
            args,
            (
                *code_opt,
                "-h",
                "--host",
                "-u",
                "--user",
                "-D",
                "--database",
                "-P",
                "--port",
                "-S",
                "--socket",
            ),
        )
    files = ctx.paths(o.values("-f", "--file"))
    if ctx.stdin_file:
        files.append(ctx.stdin_file)
    if files:
        return acc(name, "act", executes=files)
    code = o.values(*code_opt) + ([ctx.stdin_text] if ctx.stdin_text else [])
    if name == "duckdb" and len(o.operands) > 1:
        code += o.operands[1:]
    db = ctx.paths(o.operands[:1]) if name == "duckdb" else []
    if not code:
        return acc(name, "unknown", db)
    text = "\n".join(code)
    if name in ("mongo", "mongosh"):
        mutates = re.search(
            r"\.(?:insert|update|delete|remove|drop|create|replace|save)\w*\(", text
        )
        return acc(name, "act" if mutates else "inspect")
    if _sql_reads_only(text):
        return acc(name, "inspect", db)
    return acc(name, "act", [], db)


_REDIS_READ = word_set(
    "ping get mget keys scan exists type ttl pttl hget hgetall hkeys hvals hlen hmget lrange"
    " llen lindex smembers scard sismember zrange zrangebyscore zcard zscore info dbsize"
    " strlen getrange config monitor client memory xrange xlen xinfo"
)


@handles("redis-cli", "valkey-cli")
def _h_redis(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, word_set("-h -p -a -n -u --user --pass -s -r -i"))
    if not o.operands:
        return acc(name, "unknown")
    verb = o.operands[0].lower()
    if verb == "config" and o.operands[1:2] and o.operands[1].lower() == "set":
        return acc(name, "act")
    return acc(name, "inspect" if verb in _REDIS_READ else "act")
