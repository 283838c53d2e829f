"""A PDF as a double-layer OFD (双层OFD, GB/T 33190-2016), the form Chinese archives take for
converted documents: each page an image of the PDF's page, with the page's text laid over it
where it stands, drawn invisibly, so the file looks exactly as the PDF does and its text can
still be searched and copied.

Poppler (Debian's poppler-utils, as for the long image) does the reading: `pdftoppm` draws
the pages and `pdftotext -bbox-layout` gives each line's words with their boxes in points.
The title and author are the PDF's own; what else OFD.xml says of the document is given.

The same PDF and description always make the same bytes, so two requests that make one file
at once store the same thing."""

import io
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path

from lxml import etree

from app.core import poppler

OFD_NS = "http://www.ofdspec.org/2016"
XHTML = "{http://www.w3.org/1999/xhtml}"
MEDIA_TYPE = "application/ofd"
DPI = 200
JPEG_QUALITY = 80
MM_PER_POINT = 25.4 / 72
# what a line's box holds of its font: a CJK font's box is about 1.3 of its size, the
# baseline four fifths down
SIZE_OF_HEIGHT = 0.75
BASELINE_OF_HEIGHT = 0.8
# a gap between two words wider than this part of the line's height was a space
SPACE_OF_HEIGHT = 0.1
FONT_NAME = "宋体"
READ_TEXT = ("pdftotext", "-bbox-layout", "-enc", "UTF-8")
DRAW_PAGES = ("pdftoppm", "-r", str(DPI), "-jpeg", "-jpegopt", f"quality={JPEG_QUALITY},optimize=y")
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# the same in UTF-8 bytes, where they never occur inside a longer character
CONTROL_BYTES = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class OfdFailed(Exception):
    """The PDF could not be made into an OFD; the text says why."""


@dataclass(frozen=True)
class Described:
    """What OFD.xml says of the document besides its title and author: its identifier (32
    hexadecimal characters), the day it was made and named values (CustomData)."""

    doc_id: str
    created: date
    custom: dict[str, str]


@dataclass(frozen=True)
class Box:
    """A rectangle on a page, in points from its top left corner."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True)
class Word:
    box: Box
    text: str


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    lines: list[list[Word]]


@dataclass(frozen=True)
class Layout:
    title: str
    author: str
    pages: list[Page]


def ofd_from_pdf(pdf: bytes, described: Described) -> bytes:
    """The PDF as a double-layer OFD: a zip of OFD.xml, Doc_0/Document.xml, its resources and
    a Content.xml for each page."""
    with tempfile.TemporaryDirectory(prefix="ofd-") as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        layout = _read_layout(poppler.run([*READ_TEXT, str(source), "-"], OfdFailed))
        poppler.run([*DRAW_PAGES, str(source), f"{folder}/page"], OfdFailed)
        images = poppler.drawn_pages(Path(folder), "page", "jpg")
        if not images or len(images) != len(layout.pages):
            raise OfdFailed(f"{len(images)} page images for {len(layout.pages)} pages")
        return _zipped(layout, [image.read_bytes() for image in images], described)


def _read_layout(xhtml: bytes) -> Layout:
    """What `pdftotext -bbox-layout` wrote: the title and author, and each page's size and
    lines of words."""
    # pdftotext passes a control character typed into a note straight through, which is not
    # XML; read leniently, the parser would drop every escaped character after it instead
    xhtml = CONTROL_BYTES.sub(b"", xhtml)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(xhtml, parser)
    except etree.XMLSyntaxError as error:
        raise OfdFailed(f"pdftotext wrote what is not XML: {error}") from None
    meta = {m.get("name"): m.get("content") or "" for m in root.iter(f"{XHTML}meta")}
    pages = [
        Page(
            width=float(page.get("width")),
            height=float(page.get("height")),
            lines=[_words(line) for line in page.iter(f"{XHTML}line")],
        )
        for page in root.iter(f"{XHTML}page")
    ]
    return Layout(root.findtext(f".//{XHTML}title") or "", meta.get("Author", ""), pages)


def _words(line) -> list[Word]:
    return [
        Word(Box(*(float(word.get(edge)) for edge in ("xMin", "yMin", "xMax", "yMax"))), text)
        for word in line.iter(f"{XHTML}word")
        if (text := _xml_safe(word.text or ""))
    ]


def _xml_safe(text: str) -> str:
    return NOT_IN_XML.sub("", text)


def _mm(points: float) -> str:
    return f"{points * MM_PER_POINT:.2f}"


def _box(left: float, top: float, width: float, height: float) -> str:
    return " ".join(_mm(value) for value in (left, top, width, height))


class _Ids:
    """Identifiers of the document's objects, unique in it, counted from 1."""

    def __init__(self):
        self.last = 0

    def next(self) -> int:
        self.last += 1
        return self.last


def _root(name: str, **attributes) -> etree._Element:
    return etree.Element(f"{{{OFD_NS}}}{name}", _attributes(attributes), nsmap={"ofd": OFD_NS})


def _add(parent, name: str, text=None, **attributes) -> etree._Element:
    element = etree.SubElement(parent, f"{{{OFD_NS}}}{name}", _attributes(attributes))
    if text is not None:
        element.text = _xml_safe(str(text))
    return element


def _attributes(attributes: dict) -> dict[str, str]:
    return {name: _xml_safe(str(value)) for name, value in attributes.items()}


def _xml(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _zipped(layout: Layout, images: list[bytes], described: Described) -> bytes:
    ids = _Ids()
    font_id = ids.next()
    files: dict[str, bytes] = {}
    media, pages = [], []
    for number, (page, image) in enumerate(zip(layout.pages, images, strict=True)):
        image_id, image_name = ids.next(), f"Image_{number}.jpg"
        page_id, content = ids.next(), f"Pages/Page_{number}/Content.xml"
        media.append((image_id, image_name))
        pages.append((page_id, content))
        files[f"Doc_0/Res/{image_name}"] = image
        files[f"Doc_0/{content}"] = _xml(_page(page, image_id, font_id, ids))
    first = layout.pages[0]
    parts = {
        "OFD.xml": _xml(_ofd(layout, described)),
        "Doc_0/Document.xml": _xml(_document(first, pages, ids.last)),
        "Doc_0/PublicRes.xml": _xml(_public_res(font_id)),
        "Doc_0/DocumentRes.xml": _xml(_document_res(media)),
        **files,
    }
    made = (described.created.year, described.created.month, described.created.day, 0, 0, 0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            entry = zipfile.ZipInfo(name, date_time=made)
            # the page images are compressed already
            entry.compress_type = (
                zipfile.ZIP_STORED if name.endswith(".jpg") else zipfile.ZIP_DEFLATED
            )
            archive.writestr(entry, data)
    return buffer.getvalue()


def _ofd(layout: Layout, described: Described) -> etree._Element:
    root = _root("OFD", Version="1.0", DocType="OFD")
    body = _add(root, "DocBody")
    info = _add(body, "DocInfo")
    _add(info, "DocID", described.doc_id)
    _add(info, "Title", layout.title)
    _add(info, "Author", layout.author)
    _add(info, "CreationDate", described.created.isoformat())
    _add(info, "Creator", "Xunjian")
    custom = _add(info, "CustomDatas")
    for name, value in described.custom.items():
        _add(custom, "CustomData", value, Name=name)
    _add(body, "DocRoot", "Doc_0/Document.xml")
    return root


def _document(first: Page, pages: list[tuple[int, str]], max_id: int) -> etree._Element:
    root = _root("Document")
    common = _add(root, "CommonData")
    _add(common, "MaxUnitID", max_id)
    _add(_add(common, "PageArea"), "PhysicalBox", _box(0, 0, first.width, first.height))
    _add(common, "PublicRes", "PublicRes.xml")
    _add(common, "DocumentRes", "DocumentRes.xml")
    listed = _add(root, "Pages")
    for page_id, location in pages:
        _add(listed, "Page", ID=page_id, BaseLoc=location)
    return root


def _public_res(font_id: int) -> etree._Element:
    root = _root("Res", BaseLoc="Res")
    _add(_add(root, "Fonts"), "Font", ID=font_id, FontName=FONT_NAME, FamilyName=FONT_NAME)
    return root


def _document_res(media: list[tuple[int, str]]) -> etree._Element:
    root = _root("Res", BaseLoc="Res")
    listed = _add(root, "MultiMedias")
    for media_id, name in media:
        _add(
            _add(listed, "MultiMedia", ID=media_id, Type="Image", Format="JPEG"), "MediaFile", name
        )
    return root


def _page(page: Page, image_id: int, font_id: int, ids: _Ids) -> etree._Element:
    """A page: its image below, covering it, and its text above, invisible."""
    root = _root("Page")
    _add(_add(root, "Area"), "PhysicalBox", _box(0, 0, page.width, page.height))
    content = _add(root, "Content")
    background = _add(content, "Layer", ID=ids.next(), Type="Background")
    width, height = _mm(page.width), _mm(page.height)
    _add(
        background,
        "ImageObject",
        ID=ids.next(),
        ResourceID=image_id,
        Boundary=_box(0, 0, page.width, page.height),
        CTM=f"{width} 0 0 {height} 0 0",
    )
    text = _add(content, "Layer", ID=ids.next(), Type="Body")
    for line in page.lines:
        if line:
            _text_object(text, line, font_id, ids)
    return root


def _text_object(layer, line: list[Word], font_id: int, ids: _Ids) -> None:
    """One line of text, each character where the PDF has it: a word's characters spread
    evenly over its box, a space where the words stand apart."""
    box = Box(
        min(word.box.left for word in line),
        min(word.box.top for word in line),
        max(word.box.right for word in line),
        max(word.box.bottom for word in line),
    )
    characters, offsets = [], []
    for index, word in enumerate(line):
        if index and word.box.left - line[index - 1].box.right > SPACE_OF_HEIGHT * box.height:
            characters.append(" ")
            offsets.append(line[index - 1].box.right)
        step = (word.box.right - word.box.left) / len(word.text)
        for position, character in enumerate(word.text):
            characters.append(character)
            offsets.append(word.box.left + position * step)
    shown = _add(
        layer,
        "TextObject",
        ID=ids.next(),
        Boundary=_box(box.left, box.top, box.right - box.left, box.height),
        Font=font_id,
        Size=_mm(SIZE_OF_HEIGHT * box.height),
        Fill="false",
    )
    code = _add(
        shown, "TextCode", "".join(characters), X="0", Y=_mm(BASELINE_OF_HEIGHT * box.height)
    )
    if len(offsets) > 1:
        code.set("DeltaX", " ".join(_mm(b - a) for a, b in pairwise(offsets)))
