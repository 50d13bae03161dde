#!/usr/bin/env python3
"""Checks of deploy/template.yaml that cfn-lint and checkov do not make.

Run with the cfn-lint venv's python (scripts/template-check.sh does):

    ~/.cache/kyc-ci/cfn-venv/bin/python deploy/check_template.py [-v] [--template PATH]

The template is loaded with cfn-lint's decoder (cfnlint.decode), so the
intrinsic-function tags (!Ref, !Sub, !GetAtt, ...) come back as their long
forms. Values are compared in a canonical text form: a resource's Ref is
<Logical>, its attribute <Logical.Attr>, a parameter or pseudo parameter
${Name}; Fn::Sub strings get the same treatment, so "${DataBucket.Arn}/x/*"
reads "<DataBucket.Arn>/x/*".

What is derived from the code rather than written here:
  * the permissions: every SDK call `.op()` in kyc-server-aws/src (dlq.rs,
    check.rs, bootstrap.rs and testing.rs excluded: operator CLI and test
    code, not run by the functions; #[cfg(test)] modules are cut off) that
    names an operation of the table SDK_OPS below becomes IAM actions on the
    resources the template gives that service; the bucket prefixes come from
    the layout in s3.rs, the index names from `.index_name(...)` calls;
  * the SSM parameter names and the table names the server reads
    (kyc-server config/backend.rs apply_parameters, kyc-server-aws config.rs);
  * the environment variables the functions may set (kyc-server config/env.rs,
    kyc-lambda);
  * the widget's routes (kyc-wasm-widget ui.rs), the upload prefix and suffix
    (dlq.rs), the EMF metric names and namespace (kyc-server emf.rs, sections.rs).

Policy rules (asserted for every policy document in the template):
  * no Allow statement names an action containing "*" (a Deny may: "s3:*" is
    how a bucket refuses every request without TLS), no NotAction/NotResource
    in an Allow, no Principal "*" in an Allow;
  * Resource "*" appears only in a KMS key policy (where it means the key
    itself) or in a statement whose Sid has the form
    <What>AnyResourceBecause<Reason>, and then only with actions that have no
    resource-level permissions (NO_RESOURCE_LEVEL below): YAML comments are
    lost on load, so the reason lives in the Sid;
  * the data key: the four function roles use it; any other principal only
    with a kms:ViaService condition; the account's unconditioned statements
    administer it without any cryptographic use; a service principal only
    when a resource of that service is encrypted with the key.

Each check prints a line on failure (and with -v on success); the last line
is "template checks: N passed, M failed"; the exit code is 1 on any failure.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
from pathlib import Path

try:
    import cfnlint.decode
except ImportError:  # pragma: no cover
    sys.exit("check_template.py needs cfn-lint (run it with the cfn-lint venv's python)")

ROOT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------
# SDK operations (snake_case as the Rust SDK spells them) -> IAM actions and
# the kind of resource they act on. Operations the server does not call are
# listed too, so that a new call is recognised and must be granted.
# --------------------------------------------------------------------------
OBJ, BUCKET, KEY, TABLE, SSMPATH, SECRET, ANY, QUEUE, STREAM = (
    "object", "bucket", "key", "table", "ssm-path", "secret", "any", "queue", "stream")
SDK_OPS: dict[str, tuple[str, list[str], str]] = {
    # S3
    "put_object": ("s3", ["s3:PutObject"], OBJ),
    "get_object": ("s3", ["s3:GetObject", "s3:GetObjectVersion"], OBJ),
    "head_object": ("s3", ["s3:GetObject"], OBJ),
    "delete_object": ("s3", ["s3:DeleteObject"], OBJ),
    "delete_objects": ("s3", ["s3:DeleteObject", "s3:DeleteObjectVersion"], OBJ),
    "copy_object": ("s3", ["s3:GetObject", "s3:PutObject"], OBJ),
    "create_multipart_upload": ("s3", ["s3:PutObject"], OBJ),
    "get_object_tagging": ("s3", ["s3:GetObjectTagging"], OBJ),
    "put_object_tagging": ("s3", ["s3:PutObjectTagging"], OBJ),
    "list_object_versions": ("s3", ["s3:ListBucketVersions"], BUCKET),
    "list_objects_v2": ("s3", ["s3:ListBucket"], BUCKET),
    "list_objects": ("s3", ["s3:ListBucket"], BUCKET),
    "head_bucket": ("s3", ["s3:ListBucket"], BUCKET),
    # KMS
    "generate_data_key": ("kms", ["kms:GenerateDataKey"], KEY),
    "generate_data_key_without_plaintext": ("kms", ["kms:GenerateDataKeyWithoutPlaintext"], KEY),
    "decrypt": ("kms", ["kms:Decrypt"], KEY),
    "encrypt": ("kms", ["kms:Encrypt"], KEY),
    "re_encrypt": ("kms", ["kms:ReEncryptFrom", "kms:ReEncryptTo"], KEY),
    "describe_key": ("kms", ["kms:DescribeKey"], KEY),
    # DynamoDB
    "get_item": ("dynamodb", ["dynamodb:GetItem"], TABLE),
    "put_item": ("dynamodb", ["dynamodb:PutItem"], TABLE),
    "update_item": ("dynamodb", ["dynamodb:UpdateItem"], TABLE),
    "delete_item": ("dynamodb", ["dynamodb:DeleteItem"], TABLE),
    "query": ("dynamodb", ["dynamodb:Query"], TABLE),
    "scan": ("dynamodb", ["dynamodb:Scan"], TABLE),
    "batch_get_item": ("dynamodb", ["dynamodb:BatchGetItem"], TABLE),
    "batch_write_item": ("dynamodb", ["dynamodb:BatchWriteItem"], TABLE),
    "transact_get_items": ("dynamodb", ["dynamodb:GetItem"], TABLE),
    "transact_write_items": ("dynamodb", ["dynamodb:PutItem", "dynamodb:UpdateItem",
                                          "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"], TABLE),
    "describe_table": ("dynamodb", ["dynamodb:DescribeTable"], TABLE),
    "describe_time_to_live": ("dynamodb", ["dynamodb:DescribeTimeToLive"], TABLE),
    # SSM, Secrets Manager
    "get_parameters_by_path": ("ssm", ["ssm:GetParametersByPath"], SSMPATH),
    "get_parameter": ("ssm", ["ssm:GetParameter"], SSMPATH),
    "get_parameters": ("ssm", ["ssm:GetParameters"], SSMPATH),
    "get_secret_value": ("secretsmanager", ["secretsmanager:GetSecretValue"], SECRET),
    "describe_secret": ("secretsmanager", ["secretsmanager:DescribeSecret"], SECRET),
    "batch_get_secret_value": ("secretsmanager", ["secretsmanager:BatchGetSecretValue"], SECRET),
    # Rekognition, Textract (no resource-level permissions)
    "detect_faces": ("rekognition", ["rekognition:DetectFaces"], ANY),
    "compare_faces": ("rekognition", ["rekognition:CompareFaces"], ANY),
    "detect_labels": ("rekognition", ["rekognition:DetectLabels"], ANY),
    "create_face_liveness_session": ("rekognition", ["rekognition:CreateFaceLivenessSession"], ANY),
    "get_face_liveness_session_results": ("rekognition", ["rekognition:GetFaceLivenessSessionResults"], ANY),
    "analyze_id": ("textract", ["textract:AnalyzeID"], ANY),
    "analyze_document": ("textract", ["textract:AnalyzeDocument"], ANY),
    "detect_document_text": ("textract", ["textract:DetectDocumentText"], ANY),
    # SQS, DynamoDB Streams (the operator CLI's dlq.rs uses these; a function would need them granted)
    "send_message": ("sqs", ["sqs:SendMessage"], QUEUE),
    "receive_message": ("sqs", ["sqs:ReceiveMessage"], QUEUE),
    "delete_message": ("sqs", ["sqs:DeleteMessage"], QUEUE),
    "get_queue_url": ("sqs", ["sqs:GetQueueUrl"], QUEUE),
    "get_queue_attributes": ("sqs", ["sqs:GetQueueAttributes"], QUEUE),
    "get_records": ("dynamodb", ["dynamodb:GetRecords"], STREAM),
    "get_shard_iterator": ("dynamodb", ["dynamodb:GetShardIterator"], STREAM),
    "describe_stream": ("dynamodb", ["dynamodb:DescribeStream"], STREAM),
}

# What the code's calls need beyond their own action (and why).
IMPLIED = {
    "get_object": [("s3:ListBucket", BUCKET,
                    "GetObject of a missing key answers 404 only with ListBucket (403 otherwise); "
                    "the data key's first use relies on NotFound")],
    "put_object": [("kms:GenerateDataKey", KEY, "SSE-KMS under the data key")],
}
IMPLIED_BY_SERVICE = {
    "s3": [("kms:Decrypt", KEY, "reading SSE-KMS objects")],
    "secretsmanager": [("kms:Decrypt", KEY, "the screening secret is encrypted with the data key")],
}
# Granted although no call needs them, and why.
ALLOWED_UNUSED = {
    "kms:Encrypt": "the key policy's use set for the function roles (the brief's GenerateDataKey/Decrypt/Encrypt/DescribeKey)",
    "kms:DescribeKey": "the key policy's use set for the function roles",
}
# Actions that have no resource-level permissions: the only ones a Resource "*" may carry.
NO_RESOURCE_LEVEL = {
    "rekognition:DetectFaces", "rekognition:CompareFaces", "textract:AnalyzeID",
    "textract:AnalyzeDocument", "textract:DetectDocumentText", "rekognition:DetectLabels",
    "rekognition:CreateFaceLivenessSession", "rekognition:GetFaceLivenessSessionResults",
    "xray:PutTraceSegments", "xray:PutTelemetryRecords",
}
ANY_RESOURCE_SID = re.compile(r"^[A-Za-z0-9]+AnyResourceBecause[A-Za-z0-9]+$")
KMS_USE = {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
           "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKeyPair",
           "kms:GenerateDataKeyPairWithoutPlaintext"}
EXCLUDED_FILES = {"dlq.rs", "check.rs", "bootstrap.rs", "testing.rs"}
HANDLERS = {"api": 29, "ocr": 120, "screening": 120, "jobs": 300}
STREAM_ACTIONS = ["dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream",
                  "dynamodb:ListStreams"]
QUEUE_CONSUME = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                 "sqs:ChangeMessageVisibility"]
LOG_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"]
XRAY_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
# the tables' shapes (the product's, as kyc aws bootstrap creates them)
TABLES = {
    "KycVerifications": {"keys": [("pk", "S", "HASH"), ("sk", "S", "RANGE")],
                         "gsi": {"byExpiry": ([("expiryShard", "S", "HASH"), ("expiresAtMs", "N", "RANGE")], "KEYS_ONLY")},
                         "ttl": "expiresAt"},
    "KycKeys": {"keys": [("pk", "S", "HASH"), ("sk", "S", "RANGE")]},
    "KycLiveness": {"keys": [("pk", "S", "HASH"), ("sk", "S", "RANGE")]},
    "KycJobs": {"keys": [("pk", "S", "HASH"), ("sk", "S", "RANGE")],
                "gsi": {"byDue": ([("dueShard", "S", "HASH"), ("runAt", "N", "RANGE")], "ALL")}},
    "KycAuditLog": {"keys": [("pk", "S", "HASH"), ("seq", "N", "RANGE")],
                    "gsi": {"byVerification": ([("verificationId", "S", "HASH"), ("seq", "N", "RANGE")], "ALL")}},
    "KycOcrData": {"keys": [("verificationId", "S", "HASH")], "ttl": "expiresAt", "stream": "NEW_IMAGE"},
}


# --------------------------------------------------------------------------
class Checks:
    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.passed = 0
        self.failed = 0
        self.section = ""

    def start(self, section: str) -> None:
        self.section = section
        if self.verbose:
            print(f"-- {section}")

    def check(self, ok: bool, what: str, why: str = "") -> bool:
        if ok:
            self.passed += 1
            if self.verbose:
                print(f"  ok    {what}")
        else:
            self.failed += 1
            print(f"  FAIL  [{self.section}] {what}" + (f": {why}" if why else ""))
        return bool(ok)


def as_list(v) -> list:
    if v is None:
        return []
    return list(v) if isinstance(v, list) else [v]


class Template:
    def __init__(self, path: Path) -> None:
        tpl, matches = cfnlint.decode.decode(str(path))
        if matches or tpl is None:
            for m in matches:
                print(m)
            sys.exit(f"{path}: does not parse")
        self.t = tpl
        self.res: dict = dict(tpl.get("Resources", {}))
        self.params: dict = dict(tpl.get("Parameters", {}))
        self.conditions: dict = dict(tpl.get("Conditions", {}))

    def canon(self, v) -> str:
        if isinstance(v, str):
            return v
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return str(v)
        if isinstance(v, dict) and len(v) == 1:
            (k, a), = v.items()
            if k == "Ref":
                return f"<{a}>" if a in self.res else f"${{{a}}}"
            if k == "Fn::GetAtt":
                parts = a.split(".", 1) if isinstance(a, str) else list(a)
                return f"<{parts[0]}.{parts[1]}>"
            if k == "Fn::Sub":
                text, names = (a, {}) if isinstance(a, str) else (a[0], a[1])
                return re.sub(r"\$\{([^}!][^}]*)\}", lambda m: self._sub(m.group(1), names), text)
            if k == "Fn::Join":
                return self.canon(a[0]).join(self.canon(x) for x in a[1])
            if k == "Fn::If":
                return f"If({a[0]},{self.canon(a[1])},{self.canon(a[2])})"
        return json.dumps(v, sort_keys=True, default=str)

    def _sub(self, name: str, names: dict) -> str:
        if name in names:
            return self.canon(names[name])
        if "." in name:
            logical, attr = name.split(".", 1)
            if logical in self.res:
                return f"<{logical}.{attr}>"
        return f"<{name}>" if name in self.res else f"${{{name}}}"

    def of_type(self, t: str) -> dict:
        return {k: r for k, r in self.res.items() if r.get("Type") == t}

    def props(self, logical: str) -> dict:
        return dict(self.res.get(logical, {}).get("Properties", {}) or {})

    def ref_target(self, v) -> str | None:
        """The logical id a Ref/GetAtt points at (None for anything else)."""
        c = self.canon(v)
        m = re.fullmatch(r"<([A-Za-z0-9]+)(\.[A-Za-z]+)?>", c)
        return m.group(1) if m else None


# --------------------------------------------------------------------------
# The code
# --------------------------------------------------------------------------
def read_code(path: Path) -> str:
    text = path.read_text()
    cut = text.find("#[cfg(test)]")
    return text if cut < 0 else text[:cut]


def derive_calls(c: Checks):
    """(calls: {op: [file:line]}, index names used, s3 prefixes, unknown aws-looking calls)."""
    src = ROOT / "kyc-server-aws" / "src"
    files = sorted(p for p in src.rglob("*.rs") if p.name not in EXCLUDED_FILES)
    c.start("code")
    calls: dict[str, list[str]] = {}
    consts: dict[str, str] = {}
    index_args: list[tuple[str, str]] = []
    for p in files:
        text = read_code(p)
        for m in re.finditer(r'const\s+([A-Z_][A-Z0-9_]*)\s*:\s*&str\s*=\s*"([^"]*)"', text):
            consts[m.group(1)] = m.group(2)
        for i, line in enumerate(text.splitlines(), 1):
            for m in re.finditer(r"\.([a-z0-9_]+)\(\)", line):
                if m.group(1) in SDK_OPS:
                    calls.setdefault(m.group(1), []).append(f"{p.relative_to(ROOT)}:{i}")
            for m in re.finditer(r'\.index_name\(\s*(?:"([^"]+)"|([A-Za-z_:]+))\s*\)', line):
                if m.group(2) and not m.group(2).split("::")[-1].isupper():
                    continue  # a helper's parameter (Table::due): its callers name the index
                index_args.append((m.group(1), m.group(2), f"{p.relative_to(ROOT)}:{i}"))
        # the sparse-index helper: `.due(BY_X, …)`, possibly over several lines
        for m in re.finditer(r"\.due\(\s*([A-Z_][A-Z0-9_]*)\s*,", text):
            line_no = text.count("\n", 0, m.start()) + 1
            index_args.append((None, m.group(1), f"{p.relative_to(ROOT)}:{line_no}"))
    indexes = {}
    for literal, constant, where in index_args:
        name = literal or consts.get(constant.split("::")[-1])
        c.check(name is not None, f"index name at {where} resolved", f"constant {constant} not found")
        if name:
            indexes[name] = where
    s3 = (src / "s3.rs").read_text()
    prefixes = sorted(set(re.findall(r"^//!\s+(kyc-[a-z-]+)/", s3, re.M)))
    c.check(bool(calls), "SDK calls found in kyc-server-aws/src", "no `.op()` call of a known operation: has the code moved?")
    c.check(len(prefixes) >= 2, f"bucket layout read from s3.rs: {', '.join(p + '/' for p in prefixes)}",
            "the layout block (//! kyc-…/…) is gone from s3.rs")
    # the excluded modules must stay out of what the functions run
    lib = (src / "lib.rs").read_text()
    excluded_api = set()
    for mod in ("dlq", "check", "bootstrap"):
        for m in re.finditer(rf"pub use {mod}::\{{([^}}]*)\}}", lib):
            excluded_api |= {n.strip() for n in m.group(1).split(",") if n.strip()}
        m = re.search(rf"pub use {mod}::([A-Za-z_]+);", lib)
        if m:
            excluded_api.add(m.group(1))
    pure = {"UPLOADS_PREFIX", "upload_of", "classify", "DeadEvent", "DeadEventSource", "BootstrapError",
            "BootstrapReport", "CheckReport", "Finding"}
    runtime = [ROOT / "kyc-server" / "src" / "state.rs", *sorted((ROOT / "kyc-lambda" / "src").glob("*.rs"))]
    for f in runtime:
        text = read_code(f) if f.exists() else ""
        imported = set(re.findall(r"kyc_server_aws::([A-Za-z_]+)", text))
        for m in re.finditer(r"kyc_server_aws::\{([^}]*)\}", text):
            imported |= {n.strip().split(" ")[0] for n in m.group(1).split(",") if n.strip()}
        used = sorted(imported & (excluded_api - pure))
        c.check(not used, f"{f.relative_to(ROOT)} uses nothing of dlq.rs/check.rs/bootstrap.rs that calls AWS",
                f"it uses {used}: their calls run in the functions and must be scanned and granted")
    for d in ("kyc-server/src", "kyc-lambda/src"):
        hits = [str(p.relative_to(ROOT)) for p in sorted((ROOT / d).rglob("*.rs")) if "aws_sdk_" in p.read_text()]
        c.check(not hits, f"{d} builds no SDK client of its own", f"{hits} use aws_sdk_* directly: not scanned")
    return calls, indexes, prefixes


def server_names(c: Checks):
    """SSM parameter names the server reads -> the default table name (or None)."""
    backend = (ROOT / "kyc-server" / "src" / "config" / "backend.rs").read_text()
    arms = dict(re.findall(r'"([a-z-]+)"\s*=>\s*&mut self\.([a-z_]+)', backend))
    defaults = dict(re.findall(r'([a-z_]+_table):\s*"(Kyc[A-Za-z]+)"\.into\(\)', backend))
    names = {p: defaults.get(field) for p, field in arms.items()}
    if re.search(r'name == "dead-letter-queues"', backend):
        names["dead-letter-queues"] = None
    c.start("server names")
    c.check(len(names) >= 9, f"parameter names read from config/backend.rs: {sorted(names)}",
            "apply_parameters no longer matches the pattern this check reads")
    cfg = (ROOT / "kyc-server-aws" / "src" / "config.rs").read_text()
    aws_defaults = set(re.findall(r'_table:\s*"(Kyc[A-Za-z]+)"', cfg))
    c.check(aws_defaults == {v for v in names.values() if v},
            "kyc-server-aws AwsSettings and kyc-server AwsConfig name the same tables",
            f"{sorted(aws_defaults)} vs {sorted(v for v in names.values() if v)}")
    env_rs = (ROOT / "kyc-server" / "src" / "config" / "env.rs").read_text()
    env_names = set(re.findall(r'"(KYC_[A-Z0-9_]+)"', env_rs))
    for f in (ROOT / "kyc-lambda" / "src").glob("*.rs"):
        env_names |= set(re.findall(r'const [A-Z_]+: &\'static str = "(KYC_[A-Z0-9_]+)"', f.read_text()))
    emf = (ROOT / "kyc-server" / "src" / "emf.rs").read_text()
    metrics = re.findall(r'Self::[A-Za-z]+ => "([A-Za-z]+)",', emf.split("fn unit")[0])
    sections = (ROOT / "kyc-server" / "src" / "config" / "sections.rs").read_text()
    ns = re.search(r'emf_namespace:\s*"([^"]+)"', sections)
    c.check({"UploadErrors", "LivenessFails", "OCRLatency", "SanctionsFlags"} <= set(metrics),
            f"EMF metrics read from emf.rs include the workstreams' four: {metrics}")
    c.check(ns is not None, "EMF namespace default read from config/sections.rs")
    ui = (ROOT / "kyc-wasm-widget" / "src" / "ui.rs").read_text()
    widget_paths = sorted(set(re.findall(r'(?:call\("[A-Z]+",\s*|endpoint\()"(/[a-z-]+)"', ui)))
    c.check(len(widget_paths) >= 3, f"widget routes read from kyc-wasm-widget ui.rs: {widget_paths}")
    dlq = (ROOT / "kyc-server-aws" / "src" / "dlq.rs").read_text()
    up = re.search(r'UPLOADS_PREFIX:\s*&str\s*=\s*"([^"]+)"', dlq)
    suffix = re.search(r'strip_suffix\("([^"]+)"\)', dlq)
    c.check(up is not None and suffix is not None, "upload prefix and suffix read from dlq.rs")
    return (names, env_names, metrics, ns.group(1) if ns else "KYC", widget_paths,
            up.group(1) if up else "kyc-id-uploads/", suffix.group(1) if suffix else ".jpg")


# --------------------------------------------------------------------------
# Policies
# --------------------------------------------------------------------------
def policy_docs(t: Template):
    """Every policy document: (logical, kind, document)."""
    for logical, r in t.res.items():
        p = r.get("Properties", {}) or {}
        typ = r.get("Type")
        if typ == "AWS::KMS::Key":
            yield logical, "key", p.get("KeyPolicy", {})
        for k in ("PolicyDocument", "AssumeRolePolicyDocument"):
            if k in p:
                yield logical, k, p[k]
        for pol in as_list(p.get("Policies")):
            yield logical, "inline", pol.get("PolicyDocument", {})


def principal(s: dict) -> dict:
    """A statement's Principal as a dict ("*" becomes {"AWS": "*"})."""
    pr = s.get("Principal")
    return dict(pr) if isinstance(pr, dict) else ({"AWS": pr} if pr else {})


def statements(doc) -> list:
    return [s for s in as_list((doc or {}).get("Statement")) if isinstance(s, dict)]


def role_statements(t: Template, role: str) -> list[tuple[str, dict]]:
    """The Allow statements in effect for `role`: inline, and attached policies of the template."""
    out = []
    rp = t.props(role)
    for pol in as_list(rp.get("Policies")):
        out += [(f"{role}/{pol.get('PolicyName')}", s) for s in statements(pol.get("PolicyDocument"))]
    attached = {t.ref_target(a) for a in as_list(rp.get("ManagedPolicyArns"))}
    for logical, r in t.res.items():
        if r.get("Type") not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
            continue
        p = r.get("Properties", {})
        roles = {t.ref_target(x) for x in as_list(p.get("Roles"))}
        if r.get("Type") == "AWS::IAM::RolePolicy":
            roles = {t.ref_target(p.get("RoleName"))}
        if role in roles or logical in attached:
            out += [(logical, s) for s in statements(p.get("PolicyDocument"))]
    return [(w, s) for w, s in out if s.get("Effect") == "Allow"]


def grants(t: Template, stmts, action: str, resource: str | None) -> bool:
    """Whether some statement allows `action` on `resource` (a granted pattern may cover it)."""
    for _, s in stmts:
        if action not in as_list(s.get("Action")):
            continue
        if resource is None or any(fnmatch.fnmatchcase(resource, t.canon(r)) for r in as_list(s.get("Resource"))):
            return True
    return False


def check_policies(t: Template, c: Checks) -> None:
    c.start("policy rules")
    for logical, kind, doc in policy_docs(t):
        for i, s in enumerate(statements(doc)):
            where = f"{logical} ({kind}) statement {s.get('Sid') or i}"
            actions = [t.canon(a) for a in as_list(s.get("Action"))]
            if s.get("Effect") == "Allow":
                wild = [a for a in actions if "*" in a]
                c.check(not wild, f"{where}: no wildcard action", f"Allow of {wild}")
                c.check("NotAction" not in s and "NotResource" not in s, f"{where}: no NotAction/NotResource in an Allow")
                c.check("*" not in as_list(principal(s).get("AWS")),
                        f"{where}: no Principal * in an Allow")
                if kind != "key" and kind != "AssumeRolePolicyDocument":
                    res = [t.canon(r) for r in as_list(s.get("Resource"))]
                    if "*" in res:
                        sid = s.get("Sid", "")
                        c.check(bool(ANY_RESOURCE_SID.match(sid)), f"{where}: Resource * names its reason in the Sid",
                                f"Sid {sid!r} is not <What>AnyResourceBecause<Reason>")
                        extra = sorted(set(actions) - NO_RESOURCE_LEVEL)
                        c.check(not extra, f"{where}: Resource * only for actions without resource-level permissions",
                                f"{extra} can be scoped to resources")
    # checkov skips carry reasons
    c.start("checkov skips")
    for logical, r in t.res.items():
        for skip in as_list(((r.get("Metadata") or {}).get("checkov") or {}).get("skip")):
            c.check(len(str(skip.get("comment", "")).strip()) >= 30,
                    f"{logical}: checkov skip {skip.get('id')} is justified", "the comment is missing or too short")


def check_key(t: Template, c: Checks, key: str, roles: list[str]) -> None:
    c.start("data key")
    p = t.props(key)
    c.check(p.get("EnableKeyRotation") is True, f"{key}: EnableKeyRotation true")
    aliases = [t.canon(a["Properties"]["AliasName"]) for a in t.of_type("AWS::KMS::Alias").values()
               if t.ref_target(a["Properties"].get("TargetKeyId")) == key]
    c.check("alias/kyc-${Environment}" in aliases, f"{key}: alias alias/kyc-${{Environment}}", f"aliases {aliases}")
    stmts = statements(p.get("KeyPolicy"))
    role_arns = {f"<{r}.Arn>" for r in roles}
    use = {"kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt", "kms:DescribeKey"}
    for r in roles:
        got = set()
        for s in stmts:
            pr = principal(s)
            if s.get("Effect") == "Allow" and f"<{r}.Arn>" in {t.canon(x) for x in as_list(pr.get("AWS"))}:
                got |= set(as_list(s.get("Action")))
        c.check(use <= got, f"{key} policy: {r} may {sorted(use)}", f"missing {sorted(use - got)}")
    for s in stmts:
        if s.get("Effect") != "Allow":
            continue
        sid = s.get("Sid", "?")
        pr = principal(s)
        aws = {t.canon(x) for x in as_list(pr.get("AWS"))}
        services = [t.canon(x) for x in as_list(pr.get("Service"))]
        crypto = set(as_list(s.get("Action"))) & KMS_USE
        cond = s.get("Condition") or {}
        via = any("kms:ViaService" in (v or {}) for v in cond.values())
        if aws and not aws <= role_arns:
            c.check(not crypto or via, f"{key} policy {sid}: cryptographic use by {sorted(aws - role_arns)} only through a service",
                    f"{sorted(crypto)} without a kms:ViaService condition")
        if "kms:CreateGrant" in as_list(s.get("Action")) and not aws <= role_arns:
            c.check(any("kms:GrantIsForAWSResource" in (v or {}) for v in cond.values()),
                    f"{key} policy {sid}: grants only for AWS resources", "CreateGrant would let a principal grant itself Decrypt")
        for svc in services:
            c.check(False, f"{key} policy {sid}: no service principal ({svc})",
                    "the data key is used through the roles and kms:ViaService; encrypt service data with the ops key")
    # service principals on any key: only for a service whose resource uses that key
    c.start("key policies: service principals")
    users = {"logs": ("AWS::Logs::LogGroup", "KmsKeyId"), "cloudwatch": ("AWS::SNS::Topic", "KmsMasterKeyId"),
             "cloudtrail": ("AWS::CloudTrail::Trail", "KMSKeyId")}
    for k in t.of_type("AWS::KMS::Key"):
        for s in statements(t.props(k).get("KeyPolicy")):
            for svc in as_list(principal(s).get("Service")):
                name = t.canon(svc).split(".")[0]
                typ, prop = users.get(name, (None, None))
                used = typ is not None and any(t.ref_target(r.get("Properties", {}).get(prop)) == k
                                               for r in t.of_type(typ).values())
                c.check(used, f"{k} policy {s.get('Sid')}: {t.canon(svc)} encrypts with this key",
                        "a service principal without a resource of that service encrypted by the key")


# --------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--template", default=str(ROOT / "deploy" / "template.yaml"))
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    c = Checks(args.verbose)
    t = Template(Path(args.template))

    calls, indexes, prefixes = derive_calls(c)
    names, env_names, metrics, namespace, widget_paths, upload_prefix, upload_suffix = server_names(c)

    # ---- the derived permissions, printed for the reviewer
    required: dict[tuple[str, str], list[str]] = {}   # (action, kind) -> why
    for op, where in sorted(calls.items()):
        svc, actions, kind = SDK_OPS[op]
        for a in actions:
            required.setdefault((a, kind), []).append(f"{op} ({', '.join(where)})")
        for a, k, why in IMPLIED.get(op, []):
            required.setdefault((a, k), []).append(f"implied by {op}: {why}")
        for a, k, why in IMPLIED_BY_SERVICE.get(svc, []):
            required.setdefault((a, k), []).append(f"implied by {svc}: {why}")
    if indexes:
        required.setdefault(("dynamodb:Query", "index"), []).append(
            "query on " + ", ".join(f"{n} ({w})" for n, w in sorted(indexes.items())))
    print("actions derived from kyc-server-aws/src (each function role must grant them):")
    for (a, kind), why in sorted(required.items()):
        print(f"  {a:<34} on {kind:<8} <- {'; '.join(sorted(set(why)))}")

    # ---- resources
    tables = {}
    for logical, r in t.of_type("AWS::DynamoDB::Table").items():
        m = re.fullmatch(r"(Kyc[A-Za-z]+)-\$\{Environment\}", t.canon(r["Properties"].get("TableName")))
        if m:
            tables[m.group(1)] = logical
    ssm = {t.canon(r["Properties"]["Name"]): r["Properties"]["Value"]
           for r in t.of_type("AWS::SSM::Parameter").values()}
    data_bucket = t.ref_target(ssm.get("/kyc/${Environment}/bucket"))
    data_key = t.ref_target(ssm.get("/kyc/${Environment}/kms-key-id"))
    functions = {}
    for logical, r in t.of_type("AWS::Lambda::Function").items():
        env = (r["Properties"].get("Environment") or {}).get("Variables") or {}
        functions[t.canon(env.get("KYC_LAMBDA_HANDLER", "?"))] = logical
    roles = {h: t.ref_target(t.props(f).get("Role")) for h, f in functions.items()}

    # ---- SSM
    c.start("SSM parameters")
    for name, table in sorted(names.items()):
        full = f"/kyc/${{Environment}}/{name}"
        c.check(full in ssm, f"parameter {full} (read by the server)", "missing: the server would fall back to its default")
        if full not in ssm:
            continue
        if table:
            c.check(t.ref_target(ssm[full]) == tables.get(table), f"{full} names table {table}-${{Environment}}",
                    f"it is {t.canon(ssm[full])}")
    c.check(data_bucket is not None and t.res.get(data_bucket, {}).get("Type") == "AWS::S3::Bucket",
            "/kyc/${Environment}/bucket is the data bucket")
    c.check(data_key is not None and t.res.get(data_key, {}).get("Type") == "AWS::KMS::Key",
            "/kyc/${Environment}/kms-key-id is a customer-managed key")
    dlqs = [q for q in ("OcrDlq", "ScreeningDlq") if q in t.res]
    c.check(t.canon(ssm.get("/kyc/${Environment}/dead-letter-queues")) == ",".join(f"<{q}.QueueName>" for q in dlqs),
            "/kyc/${Environment}/dead-letter-queues lists both DLQs", t.canon(ssm.get("/kyc/${Environment}/dead-letter-queues")))
    c.check(all(n.startswith("/kyc/${Environment}/") for n in ssm), "every parameter is under /kyc/${Environment}/")
    if not (data_bucket and data_key):
        print("template checks: stopped early (no data bucket or key)")
        return 1

    # ---- tables
    c.start("tables")
    c.check(set(tables) == set(TABLES), f"the six tables {sorted(TABLES)}", f"found {sorted(tables)}")
    for name, spec in TABLES.items():
        logical = tables.get(name)
        if not logical:
            continue
        p = t.props(logical)
        attrs = {a["AttributeName"]: a["AttributeType"] for a in p.get("AttributeDefinitions", [])}
        keys = [(k["AttributeName"], attrs.get(k["AttributeName"]), k["KeyType"]) for k in p.get("KeySchema", [])]
        c.check(keys == spec["keys"], f"{name}: keys {spec['keys']}", f"found {keys}")
        c.check(p.get("BillingMode") == "PAY_PER_REQUEST", f"{name}: PAY_PER_REQUEST")
        sse = p.get("SSESpecification") or {}
        c.check(sse.get("SSEEnabled") is True and sse.get("SSEType") == "KMS" and t.ref_target(sse.get("KMSMasterKeyId")) == data_key,
                f"{name}: SSE with the data key")
        c.check((p.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled") is True, f"{name}: PITR")
        dp = p.get("DeletionProtectionEnabled")
        c.check(dp is True or t.canon(dp) == "If(IsProd,true,false)", f"{name}: deletion protection (prod)", f"{t.canon(dp)}")
        gsis = {g["IndexName"]: g for g in p.get("GlobalSecondaryIndexes", [])}
        c.check(set(gsis) == set(spec.get("gsi", {})), f"{name}: GSIs {sorted(spec.get('gsi', {}))}", f"found {sorted(gsis)}")
        for iname, (ikeys, proj) in spec.get("gsi", {}).items():
            g = gsis.get(iname)
            if not g:
                continue
            got = [(k["AttributeName"], attrs.get(k["AttributeName"]), k["KeyType"]) for k in g["KeySchema"]]
            c.check(got == ikeys, f"{name}.{iname}: keys {ikeys}", f"found {got}")
            c.check(g.get("Projection", {}).get("ProjectionType") == proj, f"{name}.{iname}: projection {proj}",
                    f"found {g.get('Projection')}")
        ttl = p.get("TimeToLiveSpecification") or {}
        if "ttl" in spec:
            c.check(ttl.get("AttributeName") == spec["ttl"] and ttl.get("Enabled") is True,
                    f"{name}: TTL on {spec['ttl']}", f"found {dict(ttl) or 'none'}")
        st = (p.get("StreamSpecification") or {}).get("StreamViewType")
        c.check(st == spec.get("stream"), f"{name}: stream {spec.get('stream') or 'none'}", f"found {st}")
    for iname, where in sorted(indexes.items()):
        owner = [n for n, s in TABLES.items() if iname in s.get("gsi", {})]
        c.check(bool(owner), f"index {iname} queried by the code ({where}) exists in the template")

    # ---- functions
    c.start("functions")
    c.check(set(functions) == set(HANDLERS), f"four functions, KYC_LAMBDA_HANDLER {sorted(HANDLERS)}", f"found {sorted(functions)}")
    c.check(len(set(roles.values())) == len(roles), "each function has its own role")
    common = {"KYC_BACKEND": "aws", "KYC_AWS_SSM_PREFIX": "/kyc/${Environment}", "KYC_DATA_DIR": "/tmp/kyc",
              "KYC_LOG_EMF_ENVIRONMENT": "${Environment}", "KYC_MASTER_KEY_SECRET": "${MasterKeySecretArn}",
              "KYC_SCREENING_API_KEY_SECRET": "<ScreeningApiKeySecret>"}
    log_groups = {}
    for h, f in sorted(functions.items()):
        p = t.props(f)
        c.check(t.canon(p.get("FunctionName")) == f"kyc-${{Environment}}-{h}", f"{f}: named kyc-${{Environment}}-{h}")
        for k, want in {"Runtime": "provided.al2023", "Handler": "bootstrap", "MemorySize": "2048",
                        "Timeout": str(HANDLERS.get(h))}.items():
            c.check(t.canon(p.get(k)) == want, f"{f}: {k} {want}", f"found {t.canon(p.get(k))}")
        c.check(as_list(p.get("Architectures")) == ["x86_64"], f"{f}: x86_64")
        code = p.get("Code") or {}
        c.check(t.canon(code.get("S3Bucket")) == "${ArtifactBucket}" and t.canon(code.get("S3Key")) == "${ArtifactKey}",
                f"{f}: code from ArtifactBucket/ArtifactKey")
        env = {k: t.canon(v) for k, v in ((p.get("Environment") or {}).get("Variables") or {}).items()}
        for k, want in common.items():
            c.check(env.get(k) == want, f"{f}: {k}={want}", f"found {env.get(k)}")
        unknown = sorted(k for k in env if k not in env_names and not k.startswith("AWS_"))
        c.check(not unknown, f"{f}: every KYC_* variable is one the server or kyc-lambda reads",
                f"{unknown} are not declared in kyc-server config/env.rs or kyc-lambda")
        lg = t.ref_target((p.get("LoggingConfig") or {}).get("LogGroup"))
        log_groups[h] = lg
        c.check(lg is not None and t.canon(t.props(lg).get("LogGroupName")) == f"/aws/lambda/kyc-${{Environment}}-{h}",
                f"{f}: its own log group /aws/lambda/kyc-${{Environment}}-{h}")
        if lg:
            c.check(t.canon(t.props(lg).get("RetentionInDays")) == "90", f"{lg}: retention 90 days")
    c.check(len(set(log_groups.values())) == len(log_groups), "no two functions share a log group")
    api = functions.get("api")
    if api:
        env = (t.props(api).get("Environment") or {}).get("Variables") or {}
        c.check(t.canon(env.get("KYC_CORS_ORIGINS")) == "${FrontendOrigin}", "api: KYC_CORS_ORIGINS is the FrontendOrigin parameter",
                f"found {t.canon(env.get('KYC_CORS_ORIGINS'))}")
        c.check("FrontendOrigin" in t.params, "parameter FrontendOrigin exists")

    # ---- event sources
    c.start("event sources")
    esm = {}
    for logical, r in t.of_type("AWS::Lambda::EventSourceMapping").items():
        esm[t.ref_target(r["Properties"].get("FunctionName"))] = (logical, r["Properties"])
    uploads = ocr_dlq = screening_dlq = None
    if functions.get("ocr") in esm:
        logical, p = esm[functions["ocr"]]
        uploads = t.ref_target(p.get("EventSourceArn"))
        c.check(t.res.get(uploads, {}).get("Type") == "AWS::SQS::Queue", f"{logical}: ocr reads an SQS queue")
        c.check(t.canon(p.get("BatchSize")) == "5", f"{logical}: BatchSize 5")
        c.check(as_list(p.get("FunctionResponseTypes")) == ["ReportBatchItemFailures"], f"{logical}: ReportBatchItemFailures")
    else:
        c.check(False, "the ocr function has an event source mapping")
    if uploads:
        q = t.props(uploads)
        c.check(t.canon(q.get("QueueName")) == "kyc-${Environment}-uploads", "uploads queue named kyc-${Environment}-uploads")
        ocr_timeout = int(t.canon(t.props(functions["ocr"]).get("Timeout")))
        vt = int(t.canon(q.get("VisibilityTimeout", 30)))
        c.check(vt >= 6 * ocr_timeout, f"uploads queue VisibilityTimeout {vt} >= 6 x ocr timeout ({6 * ocr_timeout})")
        rp = q.get("RedrivePolicy") or {}
        ocr_dlq = t.ref_target(rp.get("deadLetterTargetArn"))
        c.check(ocr_dlq is not None and int(t.canon(rp.get("maxReceiveCount", 0))) == 3,
                "uploads queue RedrivePolicy: maxReceiveCount 3 to a DLQ", f"found {t.canon(rp) if rp else 'none'}")
    if functions.get("screening") in esm:
        logical, p = esm[functions["screening"]]
        c.check(t.canon(p.get("EventSourceArn")) == f"<{tables.get('KycOcrData')}.StreamArn>", f"{logical}: the KycOcrData stream")
        for k, want in {"StartingPosition": "TRIM_HORIZON", "BisectBatchOnFunctionError": "true",
                        "MaximumRetryAttempts": "5"}.items():
            c.check(t.canon(p.get(k)) == want, f"{logical}: {k} {want}", f"found {t.canon(p.get(k))}")
        c.check(as_list(p.get("FunctionResponseTypes")) == ["ReportBatchItemFailures"], f"{logical}: ReportBatchItemFailures")
        screening_dlq = t.ref_target(((p.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"))
        c.check(screening_dlq is not None, f"{logical}: DestinationConfig.OnFailure is set")
    else:
        c.check(False, "the screening function has an event source mapping")
    rules = [r for r in t.of_type("AWS::Events::Rule").values()
             if any(t.ref_target(x.get("Arn")) == functions.get("jobs") for x in as_list(r["Properties"].get("Targets")))]
    c.check(len(rules) == 1 and rules[0]["Properties"].get("ScheduleExpression") == "rate(1 minute)",
            "jobs: an EventBridge schedule rate(1 minute)")
    perms = [p["Properties"] for p in t.of_type("AWS::Lambda::Permission").values()
             if t.ref_target(p["Properties"].get("FunctionName")) == functions.get("jobs")]
    c.check(any(p.get("Principal") == "events.amazonaws.com" and p.get("SourceArn") for p in perms),
            "jobs: a Lambda permission for events.amazonaws.com with a SourceArn")

    # ---- queues
    c.start("queues")
    for name, q in (("ocr-dlq", ocr_dlq), ("screening-dlq", screening_dlq)):
        c.check(q in dlqs, f"{name}: the wired DLQ is one the server lists (dead-letter-queues)", f"{q}")
        if not q:
            continue
        p = t.props(q)
        c.check(t.canon(p.get("QueueName")) == f"kyc-${{Environment}}-{name}", f"{q}: named kyc-${{Environment}}-{name}")
        c.check(t.canon(p.get("MessageRetentionPeriod")) == "1209600", f"{q}: retention 14 days (1209600)")
    for logical, r in t.of_type("AWS::SQS::Queue").items():
        p = r["Properties"]
        c.check(p.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in p, f"{logical}: encrypted at rest")
    if uploads:
        qpols = [r["Properties"] for r in t.of_type("AWS::SQS::QueuePolicy").values()
                 if uploads in {t.ref_target(x) for x in as_list(r["Properties"].get("Queues"))}]
        bucket_arn = "arn:${AWS::Partition}:s3:::" + t.canon(t.props(data_bucket).get("BucketName"))
        ok = False
        for qp in qpols:
            for s in statements(qp.get("PolicyDocument")):
                cond = json.dumps({k: {kk: t.canon(vv) for kk, vv in v.items()} for k, v in (s.get("Condition") or {}).items()})
                if (principal(s).get("Service") == "s3.amazonaws.com" and "sqs:SendMessage" in as_list(s.get("Action"))
                        and bucket_arn in cond and "aws:SourceAccount" in cond):
                    ok = True
        c.check(ok, "uploads queue policy: S3 may send, aws:SourceArn = the data bucket (by name) and aws:SourceAccount")
        notes = (t.props(data_bucket).get("NotificationConfiguration") or {}).get("QueueConfigurations", [])
        hit = False
        for n in notes:
            rules_ = {x["Name"]: x["Value"] for x in n.get("Filter", {}).get("S3Key", {}).get("Rules", [])}
            if (n.get("Event") == "s3:ObjectCreated:*" and t.ref_target(n.get("Queue")) == uploads
                    and rules_.get("prefix") == upload_prefix and rules_.get("suffix") == upload_suffix):
                hit = True
        c.check(hit, f"data bucket notifies s3:ObjectCreated:* {upload_prefix}*{upload_suffix} to the uploads queue")

    # ---- permissions of each role
    c.start("permissions")
    table_arns = {name: f"<{logical}.Arn>" for name, logical in tables.items()}
    index_of = {iname: n for n, s in TABLES.items() for iname in s.get("gsi", {})}
    secret_arns = set()
    for f in functions.values():
        env = (t.props(f).get("Environment") or {}).get("Variables") or {}
        for k in ("KYC_MASTER_KEY_SECRET", "KYC_SCREENING_API_KEY_SECRET"):
            if k in env:
                secret_arns.add(t.canon(env[k]))
    resources_of = {
        OBJ: [f"<{data_bucket}.Arn>/{p}/*" for p in prefixes],
        BUCKET: [f"<{data_bucket}.Arn>"],
        KEY: [f"<{data_key}.Arn>"],
        TABLE: sorted(table_arns.values()),
        SSMPATH: ["arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/kyc/${Environment}"],
        SECRET: sorted(secret_arns),
        ANY: ["*"],
        "index": [f"{table_arns[index_of[i]]}/index/{i}|{table_arns[index_of[i]]}/index/*"
                  for i in sorted(indexes) if i in index_of],
    }
    extras = {h: {} for h in functions}      # handler -> {action: [resources]}
    for h, lg in log_groups.items():
        for a in LOG_ACTIONS:
            extras[h][a] = [f"<{lg}.Arn>"]
        if (t.props(functions[h]).get("TracingConfig") or {}).get("Mode") == "Active":
            for a in XRAY_ACTIONS:
                extras[h][a] = ["*"]
    if uploads and "ocr" in extras:
        for a in QUEUE_CONSUME:
            extras["ocr"][a] = [f"<{uploads}.Arn>"]
    ocr_table = tables.get("KycOcrData")
    if "screening" in extras and ocr_table:
        for a in STREAM_ACTIONS:
            extras["screening"][a] = [f"<{ocr_table}.StreamArn>|<{ocr_table}.Arn>/stream/*"]
        if screening_dlq:
            extras["screening"]["sqs:SendMessage"] = [f"<{screening_dlq}.Arn>"]
    for h, f in sorted(functions.items()):
        role = roles[h]
        stmts = role_statements(t, role)
        rp = t.props(role)
        outside = [t.canon(a) for a in as_list(rp.get("ManagedPolicyArns")) if t.ref_target(a) not in t.res]
        c.check(not outside, f"{role}: no managed policy from outside the template", f"{outside} cannot be checked")
        allowed: dict[str, set] = {}
        for (a, kind), _ in sorted(required.items()):
            for res in resources_of.get(kind, []):
                alts = res.split("|")
                allowed.setdefault(a, set()).update(alts)
                c.check(any(grants(t, stmts, a, x) for x in alts), f"{role} ({h}): {a} on {alts[0]}",
                        "not granted: the call would fail with AccessDenied")
        for a, ress in sorted(extras[h].items()):
            for res in ress:
                alts = res.split("|")
                allowed.setdefault(a, set()).update(alts)
                c.check(any(grants(t, stmts, a, x) for x in alts), f"{role} ({h}): {a} on {alts[0]}", "not granted")
        for a in ALLOWED_UNUSED:
            allowed.setdefault(a, set()).update(resources_of[KEY])
        # nothing beyond what the code and the function's wiring need, on nothing else
        for w, s in stmts:
            for a in as_list(s.get("Action")):
                for r in as_list(s.get("Resource")):
                    cr = t.canon(r)
                    c.check(cr in allowed.get(a, set()), f"{role} ({h}): {a} on {cr} is needed ({w} {s.get('Sid', '')})",
                            "granted, but no call of the code or wiring of this function needs it"
                            if a not in allowed else f"{a} is needed only on {sorted(allowed[a])}")
        # logs only to its own group; stream, queue consumption and DLQ sends only where they belong
        for w, s in stmts:
            acts = set(as_list(s.get("Action")))
            res = {t.canon(r) for r in as_list(s.get("Resource"))}
            if acts & {"logs:CreateLogStream", "logs:PutLogEvents"}:
                c.check(res == {f"<{log_groups[h]}.Arn>"}, f"{role}: writes only its own log group ({w})", f"{sorted(res)}")
        if h != "screening":
            c.check(not any(grants(t, stmts, a, None) for a in STREAM_ACTIONS), f"{role} ({h}): does not read the stream")
            c.check(not grants(t, stmts, "sqs:SendMessage", None), f"{role} ({h}): does not send to the screening DLQ")
        if h != "ocr":
            c.check(not any(grants(t, stmts, a, None) for a in QUEUE_CONSUME), f"{role} ({h}): does not consume the uploads queue")
        # every statement's resources are ARNs or "*"
        for w, s in stmts:
            for r in as_list(s.get("Resource")):
                cr = t.canon(r)
                c.check(cr == "*" or cr.startswith("arn:") or cr.startswith("<") or cr.startswith("${"),
                        f"{role}: resource {cr} is an ARN ({w})")

    check_key(t, c, data_key, [roles[h] for h in sorted(roles)])
    check_policies(t, c)

    # ---- the data bucket and the other buckets
    c.start("buckets")
    b = t.props(data_bucket)
    c.check(t.canon(b.get("BucketName")) == "kyc-${Environment}-data-${AWS::AccountId}", "data bucket named kyc-${Environment}-data-${AWS::AccountId}")
    c.check((b.get("VersioningConfiguration") or {}).get("Status") == "Enabled", "data bucket: versioning")
    rule = ((b.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration") or [{}])[0]
    d = rule.get("ServerSideEncryptionByDefault") or {}
    c.check(d.get("SSEAlgorithm") == "aws:kms" and t.ref_target(d.get("KMSMasterKeyID")) == data_key and rule.get("BucketKeyEnabled") is True,
            "data bucket: SSE-KMS with the data key, BucketKeyEnabled")
    logging_ = b.get("LoggingConfiguration") or {}
    c.check(t.ref_target(logging_.get("DestinationBucketName")) not in (None, data_bucket), "data bucket: access logs to a separate bucket")
    rules_ = [r for r in (b.get("LifecycleConfiguration") or {}).get("Rules", []) if r.get("Status") == "Enabled"]
    for p in prefixes:
        if p == "kyc-keys":
            c.check(not any(r.get("Prefix", "").startswith("kyc-keys") and "ExpirationInDays" in r for r in rules_),
                    "lifecycle leaves kyc-keys/ (the wrapped data keys) to erasure")
            continue
        c.check(any(r.get("Prefix") == f"{p}/" and t.canon(r.get("ExpirationInDays")) == "${RetentionDays}" for r in rules_),
                f"lifecycle: {p}/ expires after RetentionDays")
    c.check(any(t.canon((r.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays")) == "1" and not r.get("Prefix") for r in rules_),
            "lifecycle: noncurrent versions expire after 1 day")
    c.check(any(t.canon((r.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation")) == "1" for r in rules_),
            "lifecycle: incomplete multipart uploads aborted after 1 day")
    c.check(t.canon((t.params.get("RetentionDays") or {}).get("Default")) == "30", "parameter RetentionDays, default 30")
    bucket_policies = {t.ref_target(r["Properties"].get("Bucket")): r["Properties"] for r in t.of_type("AWS::S3::BucketPolicy").values()}
    for logical, r in t.of_type("AWS::S3::Bucket").items():
        p = r["Properties"]
        pab = p.get("PublicAccessBlockConfiguration") or {}
        c.check(all(pab.get(k) is True for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")),
                f"{logical}: public access block (all four)")
        c.check(bool((p.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration")), f"{logical}: SSE")
        name = t.canon(p.get("BucketName"))
        c.check(bool(re.fullmatch(r"kyc-\$\{Environment\}-[a-z-]+-\$\{AWS::AccountId\}", name)), f"{logical}: bucket name {name} follows the convention")
        pol = bucket_policies.get(logical)
        tls = pol and any(s.get("Effect") == "Deny" and json.dumps(s.get("Condition", {})).find("aws:SecureTransport") >= 0
                          for s in statements(pol.get("PolicyDocument")))
        c.check(bool(tls), f"{logical}: bucket policy denies aws:SecureTransport false")

    # ---- API Gateway
    c.start("API Gateway")
    apis = t.of_type("AWS::ApiGateway::RestApi")
    c.check(len(apis) == 1, "one REST API")
    rest = next(iter(apis), None)
    if rest:
        p = t.props(rest)
        c.check(t.canon(p.get("Name")) == "kyc-${Environment}-api", "REST API named kyc-${Environment}-api")
        bmt = as_list(p.get("BinaryMediaTypes"))
        for m in ("image~1jpeg", "image~1png", "application~1octet-stream"):
            c.check(m in bmt, f"binary media type {m}")
        c.check(all("/" not in m for m in bmt), "binary media types write / as ~1")
        resources = {k: r["Properties"] for k, r in t.of_type("AWS::ApiGateway::Resource").items()}
        methods = t.of_type("AWS::ApiGateway::Method")

        def path_of(resource_id) -> str:
            target = t.ref_target(resource_id)
            if t.canon(resource_id) == f"<{rest}.RootResourceId>":
                return "/"
            r = resources.get(target)
            return (path_of(r["ParentId"]).rstrip("/") + "/" + r["PathPart"]) if r else "?"
        by_path = {}
        for k, m in methods.items():
            mp = m["Properties"]
            by_path.setdefault(path_of(mp.get("ResourceId")), {})[mp.get("HttpMethod")] = (k, mp)
            integ = mp.get("Integration") or {}
            c.check(integ.get("Type") == "AWS_PROXY" and f"<{api}.Arn>" in t.canon(integ.get("Uri")),
                    f"{k}: AWS_PROXY to the api function")
        for path in ("/", "/{proxy+}"):
            k, mp = by_path.get(path, {}).get("ANY", (None, {}))
            c.check(k is not None and mp.get("ApiKeyRequired") is True, f"{path} ANY requires an API key")
        for path in widget_paths:
            c.check("ANY" in by_path.get(path, {}), f"widget route {path} has its own method (no API key: a browser has none)")
        for path, ms in by_path.items():
            for verb, (k, mp) in ms.items():
                if mp.get("ApiKeyRequired") is not True:
                    c.check(verb == "OPTIONS" or path in widget_paths, f"{k}: only preflights and widget routes go without an API key",
                            f"{verb} {path} has no API key")
        stages = {k: r["Properties"] for k, r in t.of_type("AWS::ApiGateway::Stage").items()}
        c.check(len(stages) == 1, "one stage")
        for k, s in stages.items():
            c.check(s.get("StageName") == "prod", f"{k}: stage prod")
            ms = [m for m in as_list(s.get("MethodSettings")) if m.get("ResourcePath") == "/*" and m.get("HttpMethod") == "*"]
            c.check(len(ms) == 1, f"{k}: method settings for every method")
            for m in ms:
                c.check(t.canon(m.get("ThrottlingRateLimit")) in ("100", "100.0"), f"{k}: ThrottlingRateLimit 100",
                        f"found {t.canon(m.get('ThrottlingRateLimit'))}")
                c.check(t.canon(m.get("ThrottlingBurstLimit")) == "200", f"{k}: ThrottlingBurstLimit 200",
                        f"found {t.canon(m.get('ThrottlingBurstLimit'))}")
                c.check(m.get("DataTraceEnabled") is not True, f"{k}: no data trace (bodies are documents and faces)")
            fmt = (s.get("AccessLogSetting") or {}).get("Format", "")
            try:
                fields = json.loads(fmt)
            except ValueError:
                fields = {}
            vals = " ".join(map(str, fields.values()))
            for var in ("$context.requestId", "$context.identity.sourceIp", "$context.status", "$context.responseLatency"):
                c.check(var in vals, f"{k}: JSON access log has {var}")
            dest = t.canon((s.get("AccessLogSetting") or {}).get("DestinationArn"))
            c.check(any(f"<{lg}>" in dest or f"<{lg}.Arn>" in dest for lg in t.of_type("AWS::Logs::LogGroup")),
                    f"{k}: access logs to a log group of the template")
        plans = [r["Properties"] for r in t.of_type("AWS::ApiGateway::UsagePlan").values()]
        c.check(any(any(t.ref_target(x.get("ApiId")) == rest for x in as_list(p.get("ApiStages"))) for p in plans),
                "a usage plan on the API's stage")
        c.check(bool(t.of_type("AWS::ApiGateway::ApiKey")) and bool(t.of_type("AWS::ApiGateway::UsagePlanKey")),
                "an API key in the usage plan")
        auth = [r for r in t.of_type("AWS::ApiGateway::Authorizer").values() if r["Properties"].get("Type") == "COGNITO_USER_POOLS"]
        c.check(len(auth) == 1 and auth[0].get("Condition") in t.conditions and "UseCognito" in t.params,
                "a Cognito authorizer behind the UseCognito parameter")
        for a in auth:
            src = a["Properties"].get("IdentitySource", "")
            c.check(src.startswith("method.request.header.") and src.lower() != "method.request.header.authorization",
                    "the Cognito token has a header of its own (Authorization carries our Bearer keys)", src)

    # ---- WAF
    c.start("WAF")
    acls = t.of_type("AWS::WAFv2::WebACL")
    c.check(len(acls) == 1, "one WebACL")
    for k, r in acls.items():
        p = r["Properties"]
        c.check(p.get("Scope") == "REGIONAL", f"{k}: REGIONAL")
        vc = p.get("VisibilityConfig") or {}
        c.check(vc.get("CloudWatchMetricsEnabled") is True and vc.get("SampledRequestsEnabled") is True, f"{k}: visibility config on")
        rules_ = {x["Name"]: x for x in as_list(p.get("Rules"))}
        rate = [x for x in rules_.values() if "RateBasedStatement" in x.get("Statement", {})]
        c.check(any(x["Statement"]["RateBasedStatement"].get("AggregateKeyType") == "IP" and "Block" in x.get("Action", {})
                    for x in rate), f"{k}: a rate-based block per IP")
        managed = {x["Statement"]["ManagedRuleGroupStatement"]["Name"]: x["Statement"]["ManagedRuleGroupStatement"]
                   for x in rules_.values() if "ManagedRuleGroupStatement" in x.get("Statement", {})}
        crs = managed.get("AWSManagedRulesCommonRuleSet")
        c.check(crs is not None, f"{k}: AWSManagedRulesCommonRuleSet")
        if crs:
            ov = {o["Name"]: o.get("ActionToUse", {}) for o in as_list(crs.get("RuleActionOverrides"))}
            c.check("Count" in ov.get("SizeRestrictions_BODY", {}), f"{k}: SizeRestrictions_BODY overridden to Count",
                    "the 8 KB body rule would block every document upload (up to 4 MiB)")
        c.check("AWSManagedRulesKnownBadInputsRuleSet" in managed, f"{k}: AWSManagedRulesKnownBadInputsRuleSet")
        for x in rules_.values():
            c.check((x.get("VisibilityConfig") or {}).get("CloudWatchMetricsEnabled") is True, f"{k}.{x['Name']}: metrics on")
        assoc = [a["Properties"] for a in t.of_type("AWS::WAFv2::WebACLAssociation").values()
                 if t.ref_target(a["Properties"].get("WebACLArn")) == k]
        c.check(any(t.canon(a.get("ResourceArn")).endswith(f"/restapis/<{rest}>/stages/prod") for a in assoc),
                f"{k}: associated with the API's prod stage")

    # ---- CloudTrail
    c.start("CloudTrail")
    trails = t.of_type("AWS::CloudTrail::Trail")
    c.check(len(trails) == 1, "one trail")
    for k, r in trails.items():
        p = r["Properties"]
        c.check(p.get("EnableLogFileValidation") is True, f"{k}: log file validation")
        c.check(p.get("IsLogging") is True, f"{k}: logging")
        tb = t.ref_target(p.get("S3BucketName"))
        c.check(tb not in (None, data_bucket), f"{k}: its own bucket")
        pol = bucket_policies.get(tb) or {}
        svc = [s for s in statements(pol.get("PolicyDocument")) if principal(s).get("Service") == "cloudtrail.amazonaws.com"]
        c.check({"s3:GetBucketAcl", "s3:PutObject"} <= {a for s in svc for a in as_list(s.get("Action"))},
                f"{k}: bucket policy lets cloudtrail.amazonaws.com check the ACL and write")
        sels = as_list(p.get("AdvancedEventSelectors"))

        def selected(rtype: str) -> set:
            out = set()
            for s in sels:
                fs = {f["Field"]: f for f in s.get("FieldSelectors", [])}
                if rtype in as_list(fs.get("resources.type", {}).get("Equals")) and "Data" in as_list(fs.get("eventCategory", {}).get("Equals")):
                    arn = fs.get("resources.ARN", {})
                    out |= {t.canon(x) for x in as_list(arn.get("Equals")) + as_list(arn.get("StartsWith"))}
            return out
        c.check(f"<{data_bucket}.Arn>/" in selected("AWS::S3::Object"), f"{k}: S3 data events on the data bucket")
        missing = set(table_arns.values()) - selected("AWS::DynamoDB::Table")
        c.check(not missing, f"{k}: DynamoDB data events on the six tables", f"missing {sorted(missing)}")
        c.check(any("Management" in as_list({f["Field"]: f for f in s.get("FieldSelectors", [])}.get("eventCategory", {}).get("Equals"))
                    for s in sels), f"{k}: management events")

    # ---- monitoring
    c.start("monitoring")
    topics = t.of_type("AWS::SNS::Topic")
    c.check(len(topics) >= 1 and all("KmsMasterKeyId" in r["Properties"] for r in topics.values()), "an encrypted SNS topic")
    alarms = {k: r["Properties"] for k, r in t.of_type("AWS::CloudWatch::Alarm").items()}

    def alarm(ns, metric, dim=None, value=None):
        out = []
        for k, a in alarms.items():
            if a.get("Namespace") != ns or a.get("MetricName") != metric:
                continue
            dims = {d["Name"]: t.canon(d["Value"]) for d in as_list(a.get("Dimensions"))}
            if dim and dims.get(dim) != value:
                continue
            out.append((k, a))
        return out
    for q in dlqs:
        hits = alarm("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", f"<{q}.QueueName>")
        c.check(any(t.canon(a.get("Threshold")) in ("0", "0.0") and a.get("ComparisonOperator") == "GreaterThanThreshold" for _, a in hits),
                f"alarm: {q} ApproximateNumberOfMessagesVisible > 0")
    for h, f in sorted(functions.items()):
        hits = alarm("AWS/Lambda", "Errors", "FunctionName", f"<{f}>")
        c.check(any(t.canon(a.get("Threshold")) in ("0", "0.0") and t.canon(a.get("Period")) == "300" for _, a in hits),
                f"alarm: {f} Errors > 0 over 5 minutes")
    c.check(bool(alarm("AWS/ApiGateway", "5XXError", "ApiName", "kyc-${Environment}-api")), "alarm: API 5XXError")
    c.check(any(a.get("ExtendedStatistic") == "p95" for _, a in alarm("AWS/ApiGateway", "Latency", "ApiName", "kyc-${Environment}-api")),
            "alarm: API Latency p95")
    for m in metrics:
        hits = alarm(namespace, m, "Environment", "${Environment}")
        c.check(bool(hits), f"alarm: {namespace}/{m} (Environment)", "the EMF metric has no alarm")
        if m == "OCRLatency":
            c.check(any(a.get("ExtendedStatistic") == "p95" for _, a in hits), "alarm: OCRLatency p95")
    for k, a in alarms.items():
        c.check(any(t.ref_target(x) in topics for x in as_list(a.get("AlarmActions"))), f"{k}: notifies the alarm topic")
    dashboards = t.of_type("AWS::CloudWatch::Dashboard")
    c.check(len(dashboards) == 1, "a dashboard")
    for k, r in dashboards.items():
        body = t.canon(r["Properties"].get("DashboardBody"))
        try:
            json.loads(re.sub(r"\$\{[^}]+\}", "x", body))
            valid = True
        except ValueError as e:
            valid = False
            print(f"        dashboard JSON: {e}")
        c.check(valid, f"{k}: body is valid JSON")
        for needle in [*metrics, "Errors", "ApproximateNumberOfMessagesVisible", "Latency", "5XXError"]:
            c.check(needle in body, f"{k}: shows {needle}")

    # ---- secrets
    c.start("secrets")
    secrets = {k: r for k, r in t.of_type("AWS::SecretsManager::Secret").items()}
    scr = secrets.get("ScreeningApiKeySecret")
    c.check(scr is not None and t.canon(scr["Properties"].get("Name")) == "kyc-${Environment}-screening-api-key"
            and t.ref_target(scr["Properties"].get("KmsKeyId")) == data_key,
            "screening secret kyc-${Environment}-screening-api-key, encrypted with the data key")
    rots = [r for r in t.of_type("AWS::SecretsManager::RotationSchedule").values()
            if t.ref_target(r["Properties"].get("SecretId")) == "ScreeningApiKeySecret"]
    cond = rots[0].get("Condition") if rots else None
    c.check(bool(rots) and t.canon(rots[0]["Properties"].get("RotationLambdaARN")) == "${ScreeningKeyRotationLambdaArn}"
            and "ScreeningKeyRotationLambdaArn" in json.dumps(t.conditions.get(cond, {}), default=str),
            "rotation schedule through ScreeningKeyRotationLambdaArn, only when it is set")
    c.check("MasterKeySecretArn" in t.params, "parameter MasterKeySecretArn")

    # ---- widget hosting
    c.start("widget hosting")
    dists = t.of_type("AWS::CloudFront::Distribution")
    c.check(len(dists) == 1, "one CloudFront distribution")
    for k, r in dists.items():
        dc = r["Properties"]["DistributionConfig"]
        for o in as_list(dc.get("Origins")):
            c.check(bool(o.get("OriginAccessControlId")) and not t.canon((o.get("S3OriginConfig") or {}).get("OriginAccessIdentity", "")),
                    f"{k}: origin {o.get('Id')} uses Origin Access Control, not an OAI")
            wb = t.ref_target(o.get("DomainName"))
            pol = bucket_policies.get(wb) or {}
            allows = [s for s in statements(pol.get("PolicyDocument")) if s.get("Effect") == "Allow"]
            c.check(bool(allows) and all(principal(s).get("Service") == "cloudfront.amazonaws.com"
                                         and f"<{k}>" in json.dumps({kk: {a: t.canon(b) for a, b in v.items()}
                                                                       for kk, v in (s.get("Condition") or {}).items()})
                                         for s in allows),
                    f"{k}: the widget bucket lets only this distribution read (AWS:SourceArn)")
        behaviors = [dc.get("DefaultCacheBehavior", {})] + as_list(dc.get("CacheBehaviors"))
        c.check(all(b.get("ViewerProtocolPolicy") in ("redirect-to-https", "https-only") for b in behaviors), f"{k}: HTTPS only")
        rhp = t.ref_target(dc.get("DefaultCacheBehavior", {}).get("ResponseHeadersPolicyId"))
        sh = (t.props(rhp).get("ResponseHeadersPolicyConfig") or {}).get("SecurityHeadersConfig", {}) if rhp else {}
        c.check(bool(sh.get("StrictTransportSecurity")), f"{k}: HSTS")
        c.check("ContentTypeOptions" in sh, f"{k}: nosniff")
        c.check((sh.get("FrameOptions") or {}).get("FrameOption") == "DENY", f"{k}: frame options DENY")
        c.check(bool((sh.get("ReferrerPolicy") or {}).get("ReferrerPolicy")), f"{k}: referrer policy")
        c.check(bool((sh.get("ContentSecurityPolicy") or {}).get("ContentSecurityPolicy")), f"{k}: a CSP")

    # ---- naming, outputs
    c.start("naming")
    named = {"AWS::SQS::Queue": "QueueName", "AWS::Lambda::Function": "FunctionName", "AWS::IAM::Role": "RoleName",
             "AWS::SNS::Topic": "TopicName", "AWS::CloudWatch::Alarm": "AlarmName", "AWS::Events::Rule": "Name",
             "AWS::ApiGateway::RestApi": "Name", "AWS::WAFv2::WebACL": "Name", "AWS::CloudTrail::Trail": "TrailName",
             "AWS::SecretsManager::Secret": "Name", "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
             "AWS::IAM::Policy": "PolicyName", "AWS::ApiGateway::UsagePlan": "UsagePlanName",
             "AWS::ApiGateway::ApiKey": "Name", "AWS::Cognito::UserPool": "UserPoolName",
             "AWS::CloudWatch::Dashboard": "DashboardName"}
    for typ, prop in named.items():
        for k, r in t.of_type(typ).items():
            n = t.canon(r["Properties"].get(prop))
            c.check(bool(re.fullmatch(r"kyc-\$\{Environment\}(-[a-z0-9-]+)?", n)), f"{k}: {prop} {n} is kyc-${{Environment}}-<purpose>")
    for k, r in t.of_type("AWS::Logs::LogGroup").items():
        n = t.canon(r["Properties"].get("LogGroupName"))
        c.check(bool(re.fullmatch(r"(/aws/lambda/|/aws/apigateway/|aws-waf-logs-)kyc-\$\{Environment\}(-[a-z-]+)?", n)),
                f"{k}: log group {n} follows the convention")
    c.check(t.canon((t.params.get("Environment") or {}).get("AllowedValues")) == json.dumps(["dev", "stage", "prod"]),
            "parameter Environment: dev, stage, prod")
    outs = {k: t.canon(v.get("Value")) for k, v in (t.t.get("Outputs") or {}).items()}
    for what, pred in {
        "the API URL": lambda v: "execute-api" in v,
        "the widget URL": lambda v: ".DomainName>" in v,
        "the SSM prefix": lambda v: v == "/kyc/${Environment}",
        "the ocr DLQ URL": lambda v: v == "<OcrDlq>",
        "the screening DLQ URL": lambda v: v == "<ScreeningDlq>",
        "the bucket ARN": lambda v: v == f"<{data_bucket}.Arn>",
        "the key ARN": lambda v: v == f"<{data_key}.Arn>",
    }.items():
        c.check(any(pred(v) for v in outs.values()), f"output: {what}")

    print(f"template checks: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
