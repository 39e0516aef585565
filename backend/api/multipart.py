"""Reading one file from a `multipart/form-data` body with the standard library.

(python-multipart, which FastAPI's `UploadFile` needs, is not among the pinned packages.)
The body is read up to a size limit first, so an oversized upload is refused while it
streams in, never buffered whole.
"""

from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from fastapi import Request

from backend.api.errors import ApiError, BadRequestError

# Room for the part headers and boundaries around the file itself.
_ENVELOPE_BYTES = 16 * 1024


class PayloadTooLargeError(ApiError):
    status_code = 413


class UnsupportedMediaTypeError(ApiError):
    status_code = 415


@dataclass(frozen=True)
class UploadedFile:
    filename: str | None
    content_type: str
    content: bytes


async def read_body(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLargeError(f"the upload exceeds {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLargeError(f"the upload exceeds {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_file_field(request: Request, field: str, max_file_bytes: int) -> UploadedFile:
    """The file sent in form field `field`; 413 beyond `max_file_bytes`, 400/415 if malformed."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type:
        raise UnsupportedMediaTypeError("send the document as multipart/form-data with a boundary")
    body = await read_body(request, max_file_bytes + _ENVELOPE_BYTES)
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise BadRequestError("the body is not a multipart/form-data message")
    for part in message.iter_parts():
        if not isinstance(part, EmailMessage) or part.get_content_disposition() != "form-data":
            continue
        if part.get_param("name", header="content-disposition") != field:
            continue
        content = part.get_payload(decode=True)
        if not isinstance(content, bytes):
            raise BadRequestError(f"form field {field!r} holds no file content")
        if len(content) > max_file_bytes:
            raise PayloadTooLargeError(f"the document exceeds {max_file_bytes} bytes")
        return UploadedFile(part.get_filename(), part.get_content_type(), content)
    raise BadRequestError(f"the form has no field {field!r}")
