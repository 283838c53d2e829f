"""The double-layer OFD writer on a PDF of its own: page sizes, text where it stands, text that
would break XML written as text, and the same bytes each time."""

import io
import zipfile
from datetime import date

import weasyprint
from lxml import etree

from app.core.ofd import OFD_NS, Described, ofd_from_pdf

PAGE = """<html><head><title>整改通知书 &lt;甲&gt; &amp; 乙</title>
<meta name="author" content="后勤"><style>@page { margin: 0 }</style></head>
<body style="margin: 0; padding: 144pt 0 0 72pt; font-size: 12pt">
<div>灶台油污 <b>"未清理"</b> &lt;script&gt; &amp;</div>
<p style="break-before: page">第二页</p></body></html>"""
DESCRIBED = Described("0123456789abcdef0123456789abcdef", date(2026, 3, 5), {"核验码": "A<&>"})


def ofd_parts() -> tuple[bytes, dict[str, etree._Element]]:
    pdf = weasyprint.HTML(string=PAGE).write_pdf()
    data = ofd_from_pdf(pdf, DESCRIBED)
    archive = zipfile.ZipFile(io.BytesIO(data))
    xml = [name for name in archive.namelist() if name.endswith(".xml")]
    return data, {name: etree.fromstring(archive.read(name)) for name in xml}


def ofd(name: str) -> str:
    return f"{{{OFD_NS}}}{name}"


def test_each_page_is_its_image_with_its_text_over_it_where_it_stands():
    data, parts = ofd_parts()
    assert set(parts) == {
        "OFD.xml",
        "Doc_0/Document.xml",
        "Doc_0/PublicRes.xml",
        "Doc_0/DocumentRes.xml",
        "Doc_0/Pages/Page_0/Content.xml",
        "Doc_0/Pages/Page_1/Content.xml",
    }
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert {"Doc_0/Res/Image_0.jpg", "Doc_0/Res/Image_1.jpg"} <= set(names)

    first = parts["Doc_0/Pages/Page_0/Content.xml"]
    assert first.findtext(f"{ofd('Area')}/{ofd('PhysicalBox')}") == "0.00 0.00 210.00 297.00"
    background, body = first.iter(ofd("Layer"))
    [image] = background
    assert image.get("Boundary") == "0.00 0.00 210.00 297.00"
    assert image.get("CTM") == "210.00 0 0 297.00 0 0"
    [line] = body
    assert line.get("Fill") == "false"  # invisible: the image shows the page
    left, top, *_size = (float(n) for n in line.get("Boundary").split())
    assert abs(left - 25.4) < 0.5 and abs(top - 50.8) < 3  # 72 pt, 144 pt
    [code] = line
    assert code.text == '灶台油污 "未清理" <script> &'
    assert len(code.get("DeltaX").split()) == len(code.text) - 1
    assert parts["Doc_0/Pages/Page_1/Content.xml"].findtext(f".//{ofd('TextCode')}") == "第二页"

    ids = [int(e.get("ID")) for part in parts.values() for e in part.iter() if e.get("ID")]
    assert len(ids) == len(set(ids))
    document = parts["Doc_0/Document.xml"]
    assert int(document.findtext(f".//{ofd('MaxUnitID')}")) == max(ids)


def test_the_document_says_what_the_pdf_says_of_itself_and_what_it_is_given():
    _data, parts = ofd_parts()
    info = parts["OFD.xml"].find(f"{ofd('DocBody')}/{ofd('DocInfo')}")
    assert info.findtext(ofd("Title")) == "整改通知书 <甲> & 乙"
    assert info.findtext(ofd("Author")) == "后勤"
    assert info.findtext(ofd("DocID")) == DESCRIBED.doc_id
    assert info.findtext(ofd("CreationDate")) == "2026-03-05"
    assert info.find(f".//{ofd('CustomData')}[@Name='核验码']").text == "A<&>"
    assert parts["OFD.xml"].findtext(f".//{ofd('DocRoot')}") == "Doc_0/Document.xml"


def test_the_same_pdf_makes_the_same_bytes():
    pdf = weasyprint.HTML(string=PAGE).write_pdf()
    assert ofd_from_pdf(pdf, DESCRIBED) == ofd_from_pdf(pdf, DESCRIBED)


def test_a_control_character_in_the_text_loses_no_other_character():
    """A note typed with a control character: the text after it keeps its & < and >."""
    page = "<html><body><p>留样\x01未做</p><p>温度&lt;5℃ &amp; 湿度&gt;80%</p></body></html>"
    data = ofd_from_pdf(weasyprint.HTML(string=page).write_pdf(), DESCRIBED)
    archive = zipfile.ZipFile(io.BytesIO(data))
    content = etree.fromstring(archive.read("Doc_0/Pages/Page_0/Content.xml"))
    assert [code.text for code in content.iter(ofd("TextCode"))] == [
        "留样未做",
        "温度<5℃ & 湿度>80%",
    ]
