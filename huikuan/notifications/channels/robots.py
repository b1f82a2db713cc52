"""WeCom (企业微信) and DingTalk (钉钉) group robots: a markdown message POSTed as JSON to the
robot's webhook address. Both answer ``{"errcode": 0, …}`` when the message was posted.

DingTalk robots with the "sign" security setting need ``timestamp`` (milliseconds) and ``sign``
(the URL-quoted base64 HMAC-SHA256 of ``"<timestamp>\\n<secret>"`` keyed by the secret) added to
the address; the robot refuses requests more than an hour off its clock.
"""

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

from django.conf import settings

from . import Connections, HandOver, PermanentFailure, Result, TemporaryFailure, post_json

# WeCom's limit for a markdown message's content, in bytes of UTF-8.
MAX_MARKDOWN_BYTES = 4096
ELLIPSIS = "…"
# errcodes that mean "too many messages just now", which a later try fixes: WeCom's 45009 and
# DingTalk's 130101 (both rate limits: about 20 messages a minute per robot).
RATE_LIMITED = {45009, 130101}


def truncate_utf8(text: str, limit: int = MAX_MARKDOWN_BYTES) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, ending in "…" when cut (never in the
    middle of a character)."""
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len(ELLIPSIS.encode("utf-8"))
    cut = text.encode("utf-8")[:room].decode("utf-8", "ignore")
    return cut + ELLIPSIS


def markdown(message) -> str:
    """The message as robot markdown: the subject in bold, then the text."""
    text = message.body_text.strip()
    if message.subject:
        text = f"**{message.subject}**\n\n{text}"
    return truncate_utf8(text)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature of a request made at ``timestamp_ms`` (URL-quoted)."""
    string = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), string, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def dingtalk_url(url: str, secret: str, timestamp_ms: int) -> str:
    if not secret:
        return url
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def payload(message) -> dict:
    content = markdown(message)
    if message.channel == "dingtalk":
        title = message.subject or message.body_text.strip().splitlines()[0][:64]
        return {"msgtype": "markdown", "markdown": {"title": title, "text": content}}
    return {"msgtype": "markdown", "markdown": {"content": content}}


def send(message, connections: Connections, hand_over: HandOver) -> Result:
    """Post one message to its robot. errcode 0 is sent; a rate limit is a retry; any other
    errcode, or a 4xx, means the robot will not take it (permanent)."""
    robot = message.robot
    url = robot.url
    if message.channel == "dingtalk":
        url = dingtalk_url(url, robot.secret, int(time.time() * 1000))
    status, answer = post_json(
        url, payload(message), timeout=settings.HUIKUAN_WEBHOOK_TIMEOUT, hand_over=hand_over
    )
    if not isinstance(answer, dict) or "errcode" not in answer:
        raise PermanentFailure(f"the robot answered HTTP {status} without an errcode: {answer!r}")
    errcode = answer.get("errcode")
    errmsg = str(answer.get("errmsg", ""))[:300]
    if errcode == 0:
        return Result(provider_ref=str(answer.get("msgid") or answer.get("errmsg") or "ok"))
    if errcode in RATE_LIMITED:
        raise TemporaryFailure(f"robot busy: errcode {errcode} {errmsg}")
    raise PermanentFailure(f"the robot refused the message: errcode {errcode} {errmsg}")
