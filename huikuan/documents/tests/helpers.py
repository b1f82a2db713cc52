"""Builders and readers for the letters' tests (other apps' tests may import them too)."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from huikuan.documents.models import Letterhead

LETTERHEAD = {
    "company_name": "杭州汇宽机电设备有限公司",
    "credit_code": "91330106MA2AB1234X",
    "address": "浙江省杭州市西湖区文三路188号",
    "phone": "0571-88886666",
    "email": "ar@huikuan.example",
    "bank_name": "中国工商银行杭州文三路支行",
    "bank_account": "1202021209900123456",
    "reply_address": "杭州市西湖区文三路188号财务部",
    "law_firm": "浙江明理律师事务所",
    "lawyer_name": "陈立",
    "lawyer_phone": "0571-87654321",
}


def fill_letterhead(**overrides) -> Letterhead:
    head = Letterhead.objects.get_or_create(pk=1)[0]
    for name, value in {**LETTERHEAD, **overrides}.items():
        setattr(head, name, value)
    head.save()
    return head


def pdf_text(data: bytes) -> str:
    """All the text of a PDF, pages joined, with white space removed (table cells and line
    breaks split words arbitrarily; amounts and names are what the tests look for)."""
    reader = PdfReader(io.BytesIO(bytes(data)))
    text = "".join(page.extract_text() or "" for page in reader.pages)
    return "".join(text.split())


def embedded_font_files(data: bytes) -> dict[str, str]:
    """``{font name: FontFile key}`` for every font of every page that embeds its glyphs."""
    reader = PdfReader(io.BytesIO(bytes(data)))
    found = {}
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            targets = [d.get_object() for d in descendants] if descendants else [font]
            for target in targets:
                descriptor = target.get("/FontDescriptor")
                if descriptor is None:
                    continue
                descriptor = descriptor.get_object()
                for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                    if key in descriptor:
                        found[str(target["/BaseFont"])] = key
    return found


def png_bytes() -> bytes:
    """A real 1×1 white PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def upload(data: bytes, name: str, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)
