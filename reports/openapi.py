"""The OpenAPI 3.1 description of /api/v1/, served at /api/v1/schema/ and checked against the real answers in
tests/reports/test_api.py. Schemas are JSON Schema 2020-12 (OpenAPI 3.1), so a null is `type: [..., "null"]`."""

DECIMAL = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "description": "Số thập phân chính xác, dấu chấm."}
NULLABLE_DECIMAL = {"type": ["string", "null"], "pattern": r"^-?\d+(\.\d+)?$"}
NULLABLE_TEXT = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}
CODE = {"type": "string", "pattern": r"^[a-z0-9-]+$", "description": "Mã đơn vị ổn định (không đổi khi đổi tên)."}
# Blocks are data (Sở Nội vụ adds them in the admin): a code, not a list written here; /api/v1/periods/ names them.
BLOCK = {
    "type": "string",
    "pattern": r"^[-a-zA-Z0-9_]+$",
    "description": "Mã khối, ví dụ so (sở, ban, ngành), huyen, xa; các khối có bảng công bố: xem /api/v1/periods/.",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict, required: list[str] | None = None) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": required if required is not None else list(properties),
        "additionalProperties": False,
    }


SCHEMAS = {
    "Publisher": _object(
        {
            "place": {"type": "string"},
            "issuer": {"type": "string"},
            "department": {"type": "string"},
        }
    ),
    "Source": _object(
        {
            "text": {"type": "string", "description": "Câu trích nguồn, như trang web và tệp Excel in."},
            "correction": {
                "type": ["object", "null"],
                "description": "Lần đính chính đã làm ra bảng đang có hiệu lực (null: bảng công bố ban đầu).",
                "properties": {
                    "number": {"type": "integer"},
                    "decision_number": NULLABLE_TEXT,
                    "decision_date": {"type": ["string", "null"], "format": "date"},
                    "signer": NULLABLE_TEXT,
                    "reason": {"type": "string"},
                },
                "required": ["number", "decision_number", "decision_date", "signer", "reason"],
                "additionalProperties": False,
            },
            "decision_number": NULLABLE_TEXT,
            "decision_date": {"type": ["string", "null"], "format": "date"},
            "signer": NULLABLE_TEXT,
            "title": NULLABLE_TEXT,
            "publisher": NULLABLE_TEXT,
            "date": {"type": ["string", "null"], "format": "date"},
            "url": {"type": ["string", "null"], "format": "uri"},
        }
    ),
    "Change": {
        "type": ["object", "null"],
        "properties": {
            "kind": {"type": "string", "enum": ["same", "renamed", "successor", "new", "unlisted"]},
            "previous_year": NULLABLE_INT,
            "previous_rank": NULLABLE_INT,
            "rank_change": {**NULLABLE_INT, "description": "Vị thứ năm trước − vị thứ năm nay (dương: tăng hạng)."},
            "score_change": NULLABLE_DECIMAL,
            "compared_with": {**NULLABLE_TEXT, "description": "Tên đơn vị được so sánh khi khác tên hiện nay."},
            "also": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Các đơn vị tiền thân khác (đơn vị đã tiếp nhận), như tên năm trước.",
            },
        },
        "required": ["kind", "previous_year", "previous_rank", "rank_change", "compared_with"],
        "additionalProperties": False,
    },
    "Period": _object(
        {
            "year": {"type": "integer"},
            "block": BLOCK,
            "block_name": {"type": "string"},
            "units": {"type": "integer"},
            "partial": {"type": "boolean", "description": "Nguồn chỉ công bố một phần bảng."},
            "decimals": {"type": "integer"},
            "scored_in_portal": {"type": "boolean"},
            "source": _ref("Source"),
            "page": {"type": "string", "format": "uri"},
            "results": {"type": "string", "format": "uri"},
            "csv": {"type": "string", "format": "uri"},
            "xlsx": {"type": "string", "format": "uri"},
        }
    ),
    "Periods": _object({"publisher": _ref("Publisher"), "periods": {"type": "array", "items": _ref("Period")}}),
    "Result": _object(
        {
            "position": {"type": "integer", "description": "Số thứ tự trong bảng công bố."},
            "rank": {"type": "integer"},
            "unit": {"type": "string", "description": "Tên đơn vị như khi công bố."},
            "unit_code": CODE,
            "score": DECIMAL,
            "max_points": {**NULLABLE_DECIMAL, "description": "Điểm tối đa áp dụng, khi bảng in (tỷ lệ đạt)."},
            "points": {**NULLABLE_DECIMAL, "description": "Điểm đạt, khi bảng in."},
            "appraised_points": {**NULLABLE_DECIMAL, "description": "Phần điểm thẩm định, khi bảng in."},
            "survey_points": {**NULLABLE_DECIMAL, "description": "Phần điểm điều tra xã hội học, khi bảng in."},
            "grade": {"type": "string", "description": "Xếp loại như bảng in; chuỗi rỗng khi bảng không in xếp loại."},
            "grade_code": {"type": "string"},
            "change": _ref("Change"),
        }
    ),
    "Results": _object(
        {
            "year": {"type": "integer"},
            "block": BLOCK,
            "block_name": {"type": "string"},
            "title": {"type": "string"},
            "partial": {"type": "boolean"},
            "decimals": {"type": "integer"},
            "version": {"type": "integer", "description": "Lần công bố (1: bản đầu; lớn hơn: đính chính)."},
            "source": _ref("Source"),
            "publisher": _ref("Publisher"),
            "issued_by": {"type": "string", "description": "Cơ quan đã công bố bảng này (có thể khác tên hiện nay)."},
            "previous_year": NULLABLE_INT,
            "results": {"type": "array", "items": _ref("Result")},
        }
    ),
    "UnitLink": _object({"code": CODE, "name": {"type": "string"}}),
    "HistoryLine": _object(
        {
            "year": {"type": "integer"},
            "block": BLOCK,
            "name": {"type": "string"},
            "score": DECIMAL,
            "grade": {"type": "string"},
            "rank": {"type": "integer"},
            "out_of": {"type": "integer"},
            "partial": {"type": "boolean"},
            "change": _ref("Change"),
        }
    ),
    "Unit": _object(
        {
            "code": CODE,
            "name": {"type": "string"},
            "block": BLOCK,
            "first_year": {
                **NULLABLE_INT,
                "description": "Năm đơn vị bắt đầu hoạt động (thành lập, sáp nhập); null: có từ trước khi có dữ liệu.",
            },
            "last_year": {
                **NULLABLE_INT,
                "description": "Năm cuối đơn vị còn hoạt động (trước khi sáp nhập, giải thể); null: vẫn hoạt động.",
            },
            "predecessors": {"type": "array", "items": _ref("UnitLink")},
            "successors": {"type": "array", "items": _ref("UnitLink")},
            "published_names": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Những tên khác tên hiện nay mà đơn vị từng được công bố (đổi tên); rỗng nếu không có.",
            },
            "history": {"type": "array", "items": _ref("HistoryLine")},
        }
    ),
    "Criterion": _object(
        {
            "code": {"type": "string"},
            "title": {"type": "string"},
            "max_points": DECIMAL,
            "method": {"type": "string", "enum": ["self", "survey", "bonus", "deduction"]},
            "parent": NULLABLE_TEXT,
        }
    ),
    "CriterionScore": _object(
        {
            "unit_code": CODE,
            "criterion": {"type": "string"},
            "points": NULLABLE_DECIMAL,
            "not_applicable": {"type": "boolean"},
        }
    ),
    "CriterionScores": _object(
        {
            "year": {"type": "integer"},
            "block": BLOCK,
            "source": _ref("Source"),
            "criteria": {"type": "array", "items": _ref("Criterion")},
            "scores": {"type": "array", "items": _ref("CriterionScore")},
        }
    ),
    "Error": _object({"error": {"type": "string"}}),
}


def _get(summary: str, schema: str, params: list[str], description: str = "") -> dict:
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer"} if name == "year" else BLOCK if name == "block" else CODE,
        }
        for name in params
    ]
    responses = {
        "200": {"description": "OK", "content": {"application/json": {"schema": _ref(schema)}}},
        "304": {"description": "Không đổi từ lần trước (gửi If-None-Match với ETag đã nhận)."},
    }
    if params:
        responses["404"] = {"description": "Chưa công bố", "content": {"application/json": {"schema": _ref("Error")}}}
    return {"get": {"summary": summary, "description": description, "parameters": parameters, "responses": responses}}


SCHEMA = {
    "openapi": "3.1.0",
    "info": {
        "title": "API dữ liệu mở kết quả đánh giá công tác cải cách hành chính",
        "version": "1",
        "description": (
            "Chỉ có kết quả đã công bố. Điểm là chuỗi số thập phân chính xác với số chữ số công bố; đơn vị có mã "
            "ổn định; mỗi bảng có câu trích nguồn. Câu trả lời có ETag và Last-Modified: gửi If-None-Match để "
            "nhận 304 khi dữ liệu không đổi. Mọi địa chỉ khác dưới /api/v1/ trả 404 dạng JSON; mọi phương thức "
            "khác GET, HEAD trả 405."
        ),
        "license": {"name": "Dữ liệu công khai: được sao chép, dùng lại, kể cả thương mại, khi ghi rõ nguồn"},
    },
    "paths": {
        "/api/v1/periods/": _get("Các kỳ đã công bố", "Periods", []),
        "/api/v1/results/{year}/{block}/": _get(
            "Bảng kết quả của một năm và khối",
            "Results",
            ["year", "block"],
            "Kèm thay đổi so với năm công bố trước của khối, theo đơn vị tiền thân khi sáp nhập, đổi tên.",
        ),
        "/api/v1/units/{code}/": _get("Một đơn vị: tiền thân, kế thừa, kết quả qua các năm", "Unit", ["code"]),
        "/api/v1/criteria/{year}/{block}/": _get(
            "Điểm thẩm định từng tiêu chí của một kỳ chấm trên cổng", "CriterionScores", ["year", "block"]
        ),
    },
    "components": {"schemas": SCHEMAS},
}
