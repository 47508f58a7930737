"""PC503 beyond password hashing: image processing, and (de)compression and JSON parsing of request payloads.

The facts are knowledge/cpu_bound.toml's [images], [payloads], [compression] and [json]. Each counts only
where the code shows the data has no size it sets: an image opened from something other than a literal
path, an archive or a buffer made from an uploaded file or the raw request body, JSON of an uploaded file.
"""
from __future__ import annotations

from prodcheck.knowledge import load
from prodcheck.model.facts import Call, Function, Param, Value
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.holds import Holds

_KB = load("cpu_bound")
_IMAGES = _KB["images"]
IMAGE_OPEN = frozenset(_IMAGES["open"])
IMAGE_METHODS = frozenset(_IMAGES["methods"])
IMAGE_FUNCTIONS = frozenset(_IMAGES["functions"])
_DOCUMENTS = _KB["documents"]
DOCUMENT_OPEN = frozenset(_DOCUMENTS["open"])
DOCUMENT_PAGES = frozenset(_DOCUMENTS["pages"])
PAGE_RENDERS = frozenset(_DOCUMENTS["renders"])
DOCUMENT_RENDERS = frozenset(_DOCUMENTS["document_renders"])
_RENDERS = PAGE_RENDERS | DOCUMENT_RENDERS
_PAYLOADS = _KB["payloads"]
UPLOAD_TYPES = frozenset(_PAYLOADS["upload_types"])
UPLOAD_MARKERS = frozenset(_PAYLOADS["upload_markers"])
UPLOAD_METHODS = frozenset(_PAYLOADS["upload_methods"])
UPLOAD_ATTRIBUTES = frozenset(_PAYLOADS["upload_attributes"])
REQUEST_TYPES = frozenset(_PAYLOADS["request_types"])
REQUEST_METHODS = frozenset(_PAYLOADS["request_methods"])
PASSTHROUGH = frozenset(_PAYLOADS["passthrough"])
COMPRESSION = frozenset(_KB["compression"]["functions"])
ARCHIVES = frozenset(_KB["compression"]["archives"])
ARCHIVE_METHODS = frozenset(_KB["compression"]["archive_methods"])
ARCHIVE_WRITES = frozenset(_KB["compression"]["archive_writes"])
WRITE_MODES = tuple(_KB["compression"]["write_modes"])
COMPRESSED = frozenset(_KB["compression"]["compressed"])
JSON = frozenset(_KB["json"]["functions"])
_DECODE = frozenset({"decode", "encode"})
MAX_DEPTH = 5


def classify_work(index: PythonIndex, call: Call, function: Function) -> str | None:
    """Why a call does CPU work that grows with data of unbounded size, or None. (`_Work` is made in the branch that
    asks it: PC503 judges every call on the request path, 20,000 on the cold bench corpus, and nearly all of them
    are none of these names.)"""
    value = call.value
    name = value.text
    if name in COMPRESSION and not call.receiver:
        source = _Work(index, function).payload(value.arg(0) or value.kwarg("data"))
        return _KB["compression"]["what"].format(source=_SOURCE[source]) if source else None
    if name in JSON and not call.receiver:
        source = _Work(index, function).payload(value.arg(0) or value.kwarg("s") or value.kwarg("fp"))
        return _KB["json"]["what"] if source == "upload" else None
    if name in IMAGE_FUNCTIONS and not call.receiver:
        return _IMAGES["what"] if _Work(index, function).image_value(value.arg(0) or value.kwarg("image"), 0) else None
    head, _, method = name.rpartition(".")
    if not head:
        return None
    if method in IMAGE_METHODS and _Work(index, function).image(head, call):
        return _IMAGES["what"]
    if method in _RENDERS and _Work(index, function).renders_unbounded(head, method, value):
        return _DOCUMENTS["what"]
    if method in ARCHIVE_METHODS:
        source = _Work(index, function).archive(head, call)
        if source:
            return _KB["compression"]["what"].format(source=_SOURCE[source])
    if method in ARCHIVE_WRITES:
        source = _Work(index, function).archive_write(head, call)
        if source:
            return _KB["compression"]["what"].format(source=_SOURCE[source])
    return None


def grows_with_data(what: str) -> bool:
    """Whether a reason of `classify_work` (its cost grows with the data, not fixed by a work factor)."""
    return what in {_IMAGES["what"], _DOCUMENTS["what"], _KB["json"]["what"]} or what.startswith(_KB["compression"]["what"].split("{")[0])


_SOURCE = {"upload": "an uploaded file", "body": "the raw request body"}  # what the client sent


class _Work:
    def __init__(self, index: PythonIndex, function: Function) -> None:
        self.index = index
        self.function = function
        self.holds = Holds.of(index)

    # ---------------------------------------------------------------- where the data comes from

    def _param(self, name: str) -> Param | None:
        return next((param for param in self.function.params if param.name == name), None)

    def param_kind(self, param: Param) -> str | None:
        """"upload" for an `UploadFile` or `File()` parameter, "request" for a `Request`."""
        default = param.default
        if default is not None and default.kind == "call" and default.text in UPLOAD_MARKERS:
            return "upload"
        return _annotation_kind(param.annotation, 0)

    def payload(self, value: Value | None, depth: int = 0) -> str | None:
        """"upload" or "body" when a value is (a buffer around) data a client sent, else None."""
        if value is None or depth > MAX_DEPTH:
            return None
        parts = value.text.split(".") if value.kind in {"name", "call"} else []
        if value.kind == "name":
            param = self._param(parts[0])
            if param is not None:
                kind = self.param_kind(param)
                rest = parts[1:]
                return "upload" if kind == "upload" and (not rest or rest[0] in UPLOAD_ATTRIBUTES) else None
            if len(parts) == 1:
                local = self.holds.local(self.function, parts[0])
                return self.payload(local, depth + 1) if local is not None and local != value else None
            return None
        if value.kind != "call" or not parts:
            return None
        if value.text in PASSTHROUGH:
            return self.payload(value.arg(0), depth + 1)
        method, owner = parts[-1], parts[:-1]
        if not owner:
            return None
        if method in _DECODE and len(owner) == 1:
            return self.payload(Value("name", value.at, text=owner[0]), depth + 1)
        param = self._param(owner[0])
        if param is None:
            return None
        kind = self.param_kind(param)
        if kind == "upload" and method in UPLOAD_METHODS and (len(owner) == 1 or owner[1:] == ["file"]):
            return "upload"
        if kind == "request" and method in REQUEST_METHODS and len(owner) == 1:
            return "body"
        return None

    # ---------------------------------------------------------------- what an expression holds

    def _inner(self, call: Call, names: frozenset[str]) -> Value | None:
        """The call of one of `names` a chained call starts with (`Image.open(f).convert("RGB")`)."""
        start = (call.line, call.span.column)
        for other in self.index.calls_by_scope.get(call.scope, []):
            if other.name in names and (other.line, other.span.column) == start:
                return other.value
        return None

    def image(self, head: str, call: Call) -> bool:
        """Whether `head` (`img`, `Image.open(f).convert()`) is an image opened from unbounded data."""
        root = head.split(".", 1)[0]
        if "()" not in root and self.holds.local(self.function, root) is not None:
            return self._local_image(root, 0)
        if "()" not in head:
            return False
        opened = head[:head.index("()")]
        if opened in IMAGE_OPEN or opened in IMAGE_FUNCTIONS:
            inner = self._inner(call, IMAGE_OPEN | IMAGE_FUNCTIONS)
            return inner is not None and self.image_value(inner, 0)
        return False

    def _local_image(self, name: str, depth: int) -> bool:
        if depth > MAX_DEPTH:
            return False
        for local, value, _ in self.function.locals:
            if local != name or value.kind != "call":
                continue
            owner, _, method = value.text.rpartition(".")
            if owner == name and method in IMAGE_METHODS | {"copy", "crop"}:
                continue  # `img = img.convert("RGB")`: the same image as before
            if self.image_value(value, depth + 1):
                return True
        return False

    def image_value(self, value: Value | None, depth: int) -> bool:
        if value is None or depth > MAX_DEPTH or not self.function.qualname:
            return False
        if value.kind == "name" and "." not in value.text:
            return self._local_image(value.text, depth + 1)
        if value.kind != "call":
            return False
        if value.text in IMAGE_OPEN:
            source = value.arg(0) or value.kwarg("fp")
            return source is not None and not source.is_str  # a literal path is a bundled, known image
        if value.text in IMAGE_FUNCTIONS:
            return self.image_value(value.arg(0) or value.kwarg("image"), depth + 1)
        owner, _, method = value.text.rpartition(".")
        if method in IMAGE_METHODS | {"copy", "crop"} and owner and "." not in owner and "()" not in owner:
            return self._local_image(owner, depth + 1)
        return False

    def renders_unbounded(self, head: str, method: str, value: Value) -> bool:
        """`page.get_pixmap()` of every page of a document opened from unbounded data (`for page in doc`), or of
        one page at a resolution the code does not fix (`dpi=dpi`): the work has no limit the code sets. One page
        at a fixed resolution (a cover thumbnail) is bounded."""
        scale = value.kwarg("dpi") or value.kwarg("matrix")
        free = scale is not None and scale.kind != "const"
        if method in DOCUMENT_RENDERS:  # `doc.get_page_pixmap(pno, dpi=...)`
            return free and self.document(head, 0)
        if head.endswith("[]"):
            return free and self.document(head[:-2], 0)
        owner, _, taken = head.rpartition(".")
        if taken.endswith("()"):
            return free and taken[:-2] in DOCUMENT_PAGES and self.document(owner, 0)
        if "." in head or "(" in head:
            return False
        pages = [self._page_of(value, 0) for local, value, _ in self.function.locals if local == head]
        return "every" in pages or (free and "one" in pages)

    def _page_of(self, value: Value, depth: int) -> str:
        """"every" for a page of a loop over a document opened from unbounded data (`for page in doc`,
        `for i, page in enumerate(doc)`, `doc.pages()`), "one" for one page of it (`doc[n]`, `doc.load_page(n)`)."""
        if depth > MAX_DEPTH:
            return ""
        if value.kind == "unpack" and value.items:  # `i, page` of `enumerate(doc)`: the item, at position 1
            inner = value.items[0]
            if inner.kind == "each" and inner.items and inner.items[0].kind == "call" \
                    and inner.items[0].text == "enumerate":
                return "every" if value.literal == 1 and self._document_value(inner.items[0].arg(0), depth + 1) else ""
            return ""
        if value.kind == "each" and value.items:
            iterated = value.items[0]
            if iterated.kind == "call" and iterated.text.rpartition(".")[2] in DOCUMENT_PAGES:
                return "every" if self.document(iterated.text.rpartition(".")[0], depth + 1) else ""
            return "every" if self._document_value(iterated, depth + 1) else ""
        if value.kind == "subscript" and value.text:
            return "one" if self.document(value.text, depth + 1) else ""
        if value.kind == "call" and value.text.rpartition(".")[2] in DOCUMENT_PAGES:
            return "one" if self.document(value.text.rpartition(".")[0], depth + 1) else ""
        return ""

    def document(self, name: str, depth: int) -> bool:
        """Whether a local `name` holds a document opened from something other than a literal path."""
        if depth > MAX_DEPTH or not name or "." in name or "(" in name or "[" in name:
            return False
        return any(self._document_value(value, depth + 1) for local, value, _ in self.function.locals if local == name)

    def _document_value(self, value: Value | None, depth: int) -> bool:
        if value is None or depth > MAX_DEPTH or not self.function.qualname:
            return False
        if value.kind == "name":
            return self.document(value.text, depth + 1)
        if value.kind != "call" or value.text not in DOCUMENT_OPEN:
            return False
        source = value.arg(0) or value.kwarg("filename") or value.kwarg("stream")
        return source is not None and not source.is_str  # a literal path is a bundled, known document

    def _archives(self, head: str, call: Call) -> list[Value]:
        """The constructor calls of the archive `head` names: a local bound to one (each binding), or one
        called in the same expression (`zipfile.ZipFile(buf).read(name)`)."""
        if "()" not in head:
            if "." in head:
                return []
            return [value for local, value, _ in self.function.locals
                    if local == head and value.kind == "call" and value.text in ARCHIVES]
        opened = head[:head.index("()")]
        if opened not in ARCHIVES or head != opened + "()":
            return []
        inner = self._inner(call, ARCHIVES)
        return [inner] if inner is not None else []

    def archive(self, head: str, call: Call) -> str | None:
        """The payload an archive (`zipfile.ZipFile(upload.file)`) reads, if it reads one."""
        for value in self._archives(head, call):
            found = None if _writing(value) else self._archive_source(value)
            if found:
                return found
        return None

    def archive_write(self, head: str, call: Call) -> str | None:
        """The payload `archive.writestr(name, data)` compresses into an archive opened for writing."""
        data = call.value.arg(1) or call.value.kwarg("data")
        given = call.value.arg(2) or call.value.kwarg("compress_type")
        for value in self._archives(head, call):
            compression = given or value.arg(2) or value.kwarg("compression")
            if _writing(value) and compression is not None and compression.text in COMPRESSED:
                return self.payload(data)
        return None

    def _archive_source(self, value: Value) -> str | None:
        source = value.arg(0) or value.kwarg("fileobj") or value.kwarg("file")
        if value.text == "tarfile.open" and value.kwarg("fileobj") is not None:
            source = value.kwarg("fileobj")
        return self.payload(source)


def _writing(archive: Value) -> bool:
    """The archive is opened for writing (`ZipFile(buf, "w")`, `tarfile.open(fileobj=buf, mode="w:gz")`)."""
    mode = archive.kwarg("mode") or archive.arg(1)
    return mode is not None and mode.is_str and str(mode.literal).startswith(WRITE_MODES)


def _annotation_kind(annotation: Value | None, depth: int) -> str | None:
    if annotation is None or depth > 3:
        return None
    if annotation.kind == "name":
        if annotation.text in UPLOAD_TYPES:
            return "upload"
        return "request" if annotation.text in REQUEST_TYPES else None
    if annotation.kind == "subscript" and annotation.last == "Annotated" and annotation.items:
        for marker in annotation.items[1:]:
            if marker.kind == "call" and marker.text in UPLOAD_MARKERS:
                return "upload"
        return _annotation_kind(annotation.items[0], depth + 1)
    if annotation.kind in {"subscript", "binop"}:  # Optional[UploadFile], UploadFile | None
        for item in annotation.items:
            found = _annotation_kind(item, depth + 1)
            if found:
                return found
    return None
