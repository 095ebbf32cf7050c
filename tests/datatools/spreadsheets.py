"""Spreadsheets for the import tests: ordinary workbooks and hostile ones (zip bombs, lying
archive headers, billion laughs), built in memory."""

import io
import struct
import zipfile

import openpyxl


def workbook_bytes(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


MB = 1024 * 1024
HEADINGS = ["姓名", "公司名称", "手机号", "证书邮寄地址"]
SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
SHEET_OPEN = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
BOMB_ROW = (
    b'<row><c t="inlineStr"><is><t>\xe5\xbc\xa0\xe4\xb8\x89</t></is></c>'
    b'<c t="inlineStr"><is><t>\xe7\xa4\xba\xe4\xbe\x8b</t></is></c>'
    b'<c t="inlineStr"><is><t>13812345678</t></is></c>'
    b'<c t="inlineStr"><is><t>\xe5\x8c\x97\xe4\xba\xac</t></is></c></row>'
)


def inline_row(values):
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
    return f"<row>{cells}</row>".encode()


def with_sheet(write_sheet, *, base=None, extra=()):
    """A workbook made by openpyxl whose first sheet's XML is written by ``write_sheet(stream)``."""
    source = zipfile.ZipFile(io.BytesIO(base or workbook_bytes([HEADINGS])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in source.infolist():
            if info.filename == SHEET:
                member = zipfile.ZipInfo(SHEET, date_time=info.date_time)
                member.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(member, "w") as stream:
                    write_sheet(stream)
            else:
                archive.writestr(info, source.read(info))
        for name, data in extra:
            archive.writestr(name, data)
    return out.getvalue()


def sheet_of_rows(rows, *, dimension="A1:D2", tail=b"</sheetData></worksheet>"):
    def write(stream):
        stream.write(SHEET_HEAD + SHEET_OPEN + f'<dimension ref="{dimension}"/><sheetData>'.encode())
        stream.write(inline_row(HEADINGS))
        for row in rows:
            stream.write(row)
        stream.write(tail)

    return with_sheet(write)


def bomb_xlsx(unpacked=47 * MB):
    """Sign-up rows repeated until the sheet's XML is ``unpacked`` bytes; it deflates to ~150 KB."""

    def write(stream):
        stream.write(SHEET_HEAD + SHEET_OPEN + b'<dimension ref="A1:D2"/><sheetData>')
        stream.write(inline_row(HEADINGS))
        block = BOMB_ROW * 10_000
        for _ in range(unpacked // len(block) + 1):
            stream.write(block)
        stream.write(b"</sheetData></worksheet>")

    return with_sheet(write)


def declared_size(data: bytes, member: str, size: int) -> bytes:
    """``data`` with the uncompressed size of ``member`` rewritten in its local and central headers."""
    patched = bytearray(data)
    name = member.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := patched.find(signature, start)) != -1:
            if patched[start + name_at : start + name_at + len(name)] == name:
                struct.pack_into("<I", patched, start + size_at, size)
            start += 4
    return bytes(patched)


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE worksheet [\n<!ENTITY lol "lol">\n'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
        for i in range(1, 10)
    )
    + b"]>\n"
    + SHEET_OPEN
    + b'<sheetData><row><c t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
)
