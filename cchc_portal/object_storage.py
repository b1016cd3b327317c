"""How long the portal waits on S3-compatible object storage: a store that is stopped answers at once with an
error, one that is frozen would otherwise hold a worker for botocore's defaults (60 s a read, up to five attempts).
The error becomes the Vietnamese 503 page (cchc_portal/outages.py)."""

from botocore.config import Config


def s3_client_config(*, addressing_style: str, connect_timeout: int, read_timeout: int, attempts: int) -> Config:
    """botocore's client settings for the portal's bucket: the addressing style, and every call bounded to
    `attempts` tries of at most `connect_timeout` + `read_timeout` seconds each."""
    return Config(
        s3={"addressing_style": addressing_style},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": attempts},
    )
