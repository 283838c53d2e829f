"""Secret links (a complainant's status link, an external checker's guest link): the secret
goes into the link once; only its hash is stored, so a copy of the database opens nothing."""

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
