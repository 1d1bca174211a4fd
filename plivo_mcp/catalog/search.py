"""Ranked search over the catalog: plain-language words and/or a resource -> the best matching operations.

BM25 over four fields of each operation, weighted: its id's words (resource and action, e.g. "conference member
mute"), its summary, its resource's one-line description, and its parameter names. Words are folded to a crude
stem on both sides ("recordings", "recording" -> "record"; "muted", "mute" -> "mut") and a query word brings its
synonyms in at a lower weight ("remove" also looks for delete, kick, unlink, unrent; "sms" for message): people say
"text", "buy", "end", "kick out" where the API says message, rent, hangup, kick. Verbs that say little ("show",
"check", "use") count less. About 190 operations: the index is built once per catalog, in pure Python, in a few
milliseconds; a query then takes about 0.1 ms.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from plivo_mcp.catalog import Catalog, Operation

_WORD = re.compile(r"[a-z0-9]+")
# Field weights: the id's words and the summary say what an operation does; the resource's description what it
# acts on; parameter names only hint ("otp", "digits", "media_urls").
_FIELDS = (("id", 2.0), ("summary", 1.5), ("resource", 0.6), ("params", 0.3))
_K1, _B = 1.2, 0.75
_SAME_WEIGHT, _RELATED_WEIGHT, _LIGHT_WEIGHT = 0.9, 0.5, 0.3
_MAX_QUERY_WORDS = 64  # a search is a few words; a pasted page must not cost more than a page of words

# Words that tell operations apart by neither what they do nor what they act on. "all", "up", "out", "off" and
# "now" are not among them: hangup_all, "hang up", "kick out", "right now" (live calls).
_STOP = frozenset({
    "a", "an", "the", "to", "of", "for", "on", "in", "into", "at", "by", "from", "with", "and", "or", "is", "are",
    "be", "been", "was", "it", "its", "this", "that", "these", "those", "my", "me", "i", "we", "our", "you", "your",
    "their", "them", "they", "he", "she", "his", "her", "someone", "somebody", "one", "some", "any", "please",
    "can", "could", "would", "should", "will", "do", "does", "did", "how", "what", "which", "who", "whom", "when",
    "where", "there", "here", "have", "has", "had", "need", "want", "like", "just", "new", "old", "so", "as", "no",
    "not", "than", "then", "about", "over", "right", "currently"})

# People's words -> the API's. Each side is stemmed like everything else; keep them general (what a word means in
# telephony), never tuned to one query. _SAME: the same thing in other words (weighted almost as the word itself);
# _RELATED: words that often mean it (weighted lower).
_SAME: dict[str, tuple[str, ...]] = {
    "sms": ("message",), "text": ("message",), "texting": ("message",), "mms": ("message",),
    "whatsapp": ("message",), "ring": ("call",), "dial": ("call",), "phone": ("call",),
    "buy": ("rent",), "purchase": ("buy", "rent"), "rent": ("buy",), "release": ("unrent",),
    "unrent": ("release",), "hangup": ("hang",), "hang": ("hangup",), "kick": ("remove",), "eject": ("kick",),
    "remove": ("delete",), "delete": ("remove",), "erase": ("delete",), "register": ("create",),
    "meeting": ("conference",), "conference": ("meeting",), "bridge": ("conference",),
    "multiparty": ("multi", "party"), "mpc": ("multi", "party"), "participant": ("member",),
    "member": ("participant",), "attendee": ("participant",), "picture": ("image",), "photo": ("image",),
    "otp": ("passcode",), "passcode": ("otp",), "transcribe": ("transcription",), "transcript": ("transcription",),
    "jwt": ("token",), "softphone": ("endpoint",), "price": ("pricing",), "cost": ("pricing",),
    "rate": ("pricing",), "tariff": ("pricing",), "deafen": ("deaf",), "silence": ("mute",),
    "unmute": ("mute", "stop"), "undeafen": ("deaf", "stop"), "forward": ("transfer",), "redirect": ("transfer",),
    "say": ("speak",), "tts": ("speak",), "aloud": ("speak",), "loud": ("aloud", "speak"), "dtmf": ("digits",),
    "keypress": ("digits",), "websocket": ("stream",), "ws": ("websocket", "stream"), "regulatory": ("compliance",),
    "kyc": ("compliance",), "subaccount": ("sub", "account"), "app": ("application",), "queue": ("queued",),
    "live": ("ongoing",), "ongoing": ("live",), "tollfree": ("toll", "free"), "800": ("tollfree", "toll", "free"),
    "888": ("tollfree", "toll", "free"), "callerid": ("caller", "id"), "shortcode": ("short", "code"),
    "anonymous": ("masking",), "mask": ("masking",),
}
_RELATED: dict[str, tuple[str, ...]] = {
    "registration": ("create",), "add": ("create",), "make": ("create",), "bring": ("add",), "put": ("add",),
    "include": ("add",), "setup": ("create",), "open": ("create",), "start": ("create",),
    "remove": ("kick", "unlink", "unrent"), "drop": ("delete", "remove", "hangup"),
    "rid": ("delete", "remove", "unrent", "release"), "boot": ("kick",), "order": ("buy",),
    "cancel": ("delete", "stop"), "end": ("hangup", "stop", "hang"), "terminate": ("hangup", "end", "stop"),
    "finish": ("end", "stop"), "disconnect": ("hangup", "hang", "end"), "stop": ("end",), "pause": ("stop",),
    "halt": ("stop",), "sms": ("text",), "text": ("sms", "send"), "texting": ("sms", "send"), "message": ("sms",),
    "mms": ("media",), "10dlc": ("brand", "campaign"), "a2p": ("10dlc", "brand", "campaign"),
    "phone": ("number",), "line": ("call",), "dial": ("create", "outbound"), "ring": ("create", "outbound"),
    "outbound": ("call",), "place": ("create",),
    "caller": ("member", "call"), "agent": ("participant",), "supervisor": ("participant", "coach"),
    "image": ("media", "picture"), "photo": ("media",), "picture": ("media",), "attachment": ("media",),
    "file": ("media", "upload"), "upload": ("file",), "carrier": ("lookup",), "network": ("carrier",),
    "otp": ("verify",), "2fa": ("otp", "verify"), "code": ("otp", "passcode"), "confirm": ("verify", "validate"),
    "check": ("validate", "verify", "lookup"), "verify": ("validate",), "speech": ("transcription", "speak"),
    "record": ("recording",), "sip": ("endpoint",), "balance": ("account", "credit"), "credit": ("account",),
    "profile": ("business",), "private": ("masking", "hide"), "hide": ("masking",), "proxy": ("masking",),
    "pool": ("powerpack",), "stream": ("websocket",), "realtime": ("stream",), "press": ("digits", "dtmf"),
    "key": ("digits",), "tone": ("digits", "dtmf"), "move": ("transfer",), "music": ("play", "audio"),
    "audio": ("play",), "sound": ("play", "audio"), "song": ("play", "audio"), "read": ("speak", "get"),
    "announce": ("speak",), "compliance": ("regulatory",), "paperwork": ("document", "compliance"),
    "document": ("compliance",), "approval": ("verification", "submit", "review"), "approve": ("verification",),
    "review": ("submit",), "send": ("submit",), "client": ("subaccount",), "tenant": ("subaccount",),
    "webhook": ("url", "application"), "pending": ("queued",), "active": ("live", "ongoing"),
    "happening": ("live", "ongoing"), "progress": ("live", "ongoing"), "current": ("live",),
    "yesterday": ("list", "past"), "today": ("list", "past"), "week": ("list", "past"), "month": ("list", "past"),
    "last": ("list", "past"), "recent": ("list", "past"), "history": ("list", "record"), "past": ("list",),
    "log": ("list", "record"),
    "cdr": ("record", "call"), "show": ("list", "get"), "see": ("list", "get"), "find": ("search", "list"),
    "available": ("search",), "inventory": ("search",), "area": ("region", "pattern"), "own": ("verified",),
}
# Verbs that say little about which operation is meant ("show me", "check", "use"): they count, but less.
_LIGHT = frozenset({"show", "see", "get", "find", "check", "give", "tell", "look", "use", "let", "help", "go",
                    "know"})


def _stem(word: str) -> str:
    """A crude suffix folding, the same for catalog text and queries: plurals, -ing, -ed, a final e."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
            if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "ls":  # stopped -> stopp -> stop
                word = word[:-1]
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("_", " ").replace("'s", ""))


def words(text: str) -> list[str]:
    """The stems of a text's words, stop words left out."""
    return [_stem(w) for w in _words(text) if w not in _STOP]


def _query_terms(query: str) -> dict[str, float]:
    """Stem -> weight: the query's own words at 1 (light verbs less), their synonyms lower."""
    terms: dict[str, float] = {}

    def add(stem: str, weight: float) -> None:
        terms[stem] = max(terms.get(stem, 0.0), weight)

    for word in _words(query)[:_MAX_QUERY_WORDS]:
        if word in _STOP:
            continue
        stem = _stem(word)
        own = _LIGHT_WEIGHT if word in _LIGHT else 1.0
        add(stem, own)
        for table, weight in ((_SAME, _SAME_WEIGHT), (_RELATED, _RELATED_WEIGHT)):
            for synonym in table.get(word, ()) + (table.get(stem, ()) if stem != word else ()):
                for part in words(synonym):
                    add(part, own * weight)  # a light verb's synonyms are light too
    return terms


@dataclass(frozen=True)
class _Index:
    docs: tuple[tuple[Operation, dict[str, float], float], ...]  # operation, weighted term frequencies, length
    idf: dict[str, float]
    average_length: float


def _document(op: Operation, resource_text: str) -> tuple[dict[str, float], float]:
    fields = {"id": words(op.id.replace(".", " ")), "summary": words(op.summary), "resource": words(resource_text),
              # each parameter word once: forty *_method parameters do not make an operation about methods
              "params": sorted(set(words(" ".join(p.name for p in op.params))))}
    tf: dict[str, float] = {}
    for name, weight in _FIELDS:
        for term in fields[name]:
            tf[term] = tf.get(term, 0.0) + weight
    return tf, sum(tf.values())


def _build(cat: Catalog) -> _Index:
    docs = []
    document_frequency: Counter[str] = Counter()
    for op in cat.operations.values():
        tf, length = _document(op, f"{op.resource} {cat.resources.get(op.resource, '')}")
        docs.append((op, tf, length))
        document_frequency.update(tf.keys())
    n = len(docs)
    idf = {term: math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df in document_frequency.items()}
    return _Index(tuple(docs), idf, sum(d[2] for d in docs) / max(n, 1))


# One index per catalog object (the package's catalog is one object for the process; tests may parse others).
_indexes: list[tuple[Catalog, _Index]] = []


def _index(cat: Catalog) -> _Index:
    for known, index in _indexes:
        if known is cat:
            return index
    index = _build(cat)
    _indexes.append((cat, index))
    del _indexes[:-4]
    return index


def search(cat: Catalog, query: str, resource: str | None = None, limit: int = 10) -> list[Operation]:
    """Operations of `resource` (all when None) ranked by how well they match `query` (all, in catalog order,
    when the query is empty)."""
    terms = _query_terms(query)
    if not terms:
        return [op for op in cat.operations.values() if resource is None or op.resource == resource][:limit]
    index = _index(cat)
    scored = []
    for position, (op, tf, length) in enumerate(index.docs):
        if resource is not None and op.resource != resource:
            continue
        score = 0.0
        for term, weight in terms.items():
            freq = tf.get(term)
            if freq:
                norm = freq * (_K1 + 1) / (freq + _K1 * (1 - _B + _B * length / index.average_length))
                score += weight * index.idf[term] * norm
        if score > 0:
            scored.append((-score, position, op))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [op for _, _, op in scored[:limit]]
