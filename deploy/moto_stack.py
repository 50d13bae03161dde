"""Creates deploy/template.yaml in moto, as far as moto's CloudFormation goes,
and checks what it made against what the server reads.

moto implements a subset of resource types (WAF, CloudFront, CloudTrail,
API Gateway stages and more are missing) and drops some properties (TTL,
versioning, PITR, public access block: ../shared/research/aws-emulator.md).
So the template is cut down first: every resource of a type moto lacks is
removed, then every resource, output and condition that refers to a removed
one (Ref, GetAtt, Sub, DependsOn), until nothing refers to a missing
resource. What is left is created as a stack; the check then reads the
resources back through the services' own APIs: the six tables with their
keys, indexes and stream, the queues and the redrive, the SSM parameters
the server reads (names that resolve to the tables and queues made), the
customer-managed key with rotation. Prints one summary line.

Run with the moto venv's python (moto[server] ships cfn-lint's decoder):
    ~/.cache/kyc-ci/moto/bin/python deploy/moto_stack.py
    KYC_TEMPLATE=copy.yaml ~/.cache/kyc-ci/moto/bin/python deploy/moto_stack.py
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
from cfnlint.decode import decode
from moto.cloudformation.parsing import NULL_MODELS, get_model_map

ROOT = Path(__file__).resolve().parent.parent
ENV = "dev"


def refs(node):
    """Logical ids `node` refers to."""
    out = set()
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "Ref" and isinstance(v, str):
                out.add(v)
            elif k == "Fn::GetAtt":
                target = v[0] if isinstance(v, list) else str(v).split(".")[0]
                out.add(str(target))
            elif k == "Fn::Sub":
                text = v[0] if isinstance(v, list) else v
                out |= {m.split(".")[0] for m in re.findall(r"\$\{([A-Za-z0-9.:]+)\}", str(text))}
                if isinstance(v, list) and len(v) > 1:
                    out |= refs(v[1])
            else:
                out |= refs(v)
    elif isinstance(node, list):
        for v in node:
            out |= refs(v)
    return out


def cut(template):
    supported = set(get_model_map()) | set(NULL_MODELS)
    res = template["Resources"]
    removed = {k for k, r in res.items() if r["Type"] not in supported}
    while True:
        more = set()
        for k, r in res.items():
            if k in removed:
                continue
            if refs(r) & removed:
                more.add(k)
        # a deployment of an API none of whose methods are left cannot be made
        if not any(r["Type"] == "AWS::ApiGateway::Method" for k, r in res.items() if k not in removed | more):
            more |= {k for k, r in res.items() if r["Type"] == "AWS::ApiGateway::Deployment" and k not in removed}
        if not more:
            break
        removed |= more
    kept = {k: dict(r) for k, r in res.items() if k not in removed}
    # DependsOn only orders creation: drop the removed names from it
    for r in kept.values():
        deps = r.get("DependsOn")
        if deps is not None:
            deps = [d for d in ([deps] if isinstance(deps, str) else deps) if d not in removed]
            if deps:
                r["DependsOn"] = deps
            else:
                del r["DependsOn"]
    out = dict(template)
    out["Resources"] = kept
    out["Outputs"] = {k: o for k, o in template.get("Outputs", {}).items() if not (refs(o) & removed)}
    return out, removed


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    moto_server = os.environ.get("KYC_MOTO_SERVER", str(Path(sys.executable).parent / "moto_server"))
    path = os.environ.get("KYC_TEMPLATE", str(ROOT / "deploy" / "template.yaml"))
    template, errors = decode(path)
    if errors:
        sys.exit(f"template does not load: {errors}")
    template = json.loads(json.dumps(template))  # plain dicts and strings
    small, removed = cut(template)
    port = free_port()
    proc = subprocess.Popen([moto_server, "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    failures = []
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        kw = dict(endpoint_url=url, region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
        cf = boto3.client("cloudformation", **kw)
        params = {
            "Environment": ENV, "ArtifactBucket": "artefacts", "ArtifactKey": "kyc-lambda/x/bootstrap.zip",
            "FrontendOrigin": "https://app.example.com",
            "MasterKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:kyc-dev-master-key-AbCdEf",
        }
        cf.create_stack(StackName=f"kyc-{ENV}", TemplateBody=json.dumps(small),
                        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
                        Capabilities=["CAPABILITY_NAMED_IAM"])
        for _ in range(120):
            st = cf.describe_stacks(StackName=f"kyc-{ENV}")["Stacks"][0]
            if not st["StackStatus"].endswith("IN_PROGRESS"):
                break
            time.sleep(0.5)
        status = st["StackStatus"]
        if status != "CREATE_COMPLETE":
            sys.exit(f"stack {status}: {st.get('StackStatusReason')}")
        made = cf.list_stack_resources(StackName=f"kyc-{ENV}")["StackResourceSummaries"]

        def check(ok, what):
            print(("  ok    " if ok else "  FAIL  ") + what)
            if not ok:
                failures.append(what)

        ddb = boto3.client("dynamodb", **kw)
        want = {
            f"KycVerifications-{ENV}": (["pk", "sk"], {"byExpiry": ["expiryShard", "expiresAtMs"]}),
            f"KycKeys-{ENV}": (["pk", "sk"], {}),
            f"KycLiveness-{ENV}": (["pk", "sk"], {}),
            f"KycJobs-{ENV}": (["pk", "sk"], {"byDue": ["dueShard", "runAt"]}),
            f"KycAuditLog-{ENV}": (["pk", "seq"], {"byVerification": ["verificationId", "seq"]}),
            f"KycOcrData-{ENV}": (["verificationId"], {}),
        }
        for table, (keys, indexes) in want.items():
            try:
                t = ddb.describe_table(TableName=table)["Table"]
            except Exception as e:  # noqa: BLE001 - reported as a failed check
                check(False, f"table {table}: {e}")
                continue
            check([k["AttributeName"] for k in t["KeySchema"]] == keys, f"table {table}: keys {keys}")
            have = {i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]]
                    for i in t.get("GlobalSecondaryIndexes", [])}
            for name, ks in indexes.items():
                check(have.get(name) == ks, f"table {table}: index {name} {ks}")
        ocr = ddb.describe_table(TableName=f"KycOcrData-{ENV}")["Table"]
        check(ocr.get("StreamSpecification", {}).get("StreamEnabled") is True, "KycOcrData: stream on")

        sqs = boto3.client("sqs", **kw)
        queues = {}
        for q in ["uploads", "ocr-dlq", "screening-dlq"]:
            name = f"kyc-{ENV}-{q}"
            try:
                u = sqs.get_queue_url(QueueName=name)["QueueUrl"]
                queues[q] = sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["All"])["Attributes"]
                check(True, f"queue {name}")
            except Exception as e:  # noqa: BLE001
                check(False, f"queue {name}: {e}")
        if "uploads" in queues:
            redrive = json.loads(queues["uploads"].get("RedrivePolicy", "{}"))
            check(str(redrive.get("deadLetterTargetArn", "")).endswith(f"kyc-{ENV}-ocr-dlq"),
                  "uploads queue redrives to the OCR DLQ")
        for q in ["ocr-dlq", "screening-dlq"]:
            if q in queues:
                check(queues[q].get("MessageRetentionPeriod") == "1209600", f"kyc-{ENV}-{q}: 14 days")

        ssm = boto3.client("ssm", **kw)
        got = {}
        pages = ssm.get_paginator("get_parameters_by_path").paginate(Path=f"/kyc/{ENV}", Recursive=True)
        for page in pages:
            for p in page["Parameters"]:
                got[p["Name"].rsplit("/", 1)[-1]] = p["Value"]
        # exactly the names kyc-server's AwsConfig::apply_parameters takes
        backend_rs = (ROOT / "kyc-server" / "src" / "config" / "backend.rs").read_text()
        taken = set(re.findall(r'"([a-z-]+)" => &mut self\.', backend_rs)) | {"dead-letter-queues"}
        for name in sorted(taken):
            check(name in got, f"SSM /kyc/{ENV}/{name}")
        for name, table in [("verifications-table", "KycVerifications"), ("keys-table", "KycKeys"),
                            ("liveness-table", "KycLiveness"), ("jobs-table", "KycJobs"),
                            ("ocr-table", "KycOcrData"), ("audit-table", "KycAuditLog")]:
            check(got.get(name) == f"{table}-{ENV}", f"SSM {name} names the table made ({got.get(name)})")
        dlqs = [q.strip() for q in got.get("dead-letter-queues", "").split(",")]
        check(dlqs == [f"kyc-{ENV}-ocr-dlq", f"kyc-{ENV}-screening-dlq"], f"SSM dead-letter-queues {dlqs}")
        s3 = boto3.client("s3", **kw)
        buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
        check(got.get("bucket") in buckets, f"SSM bucket names the bucket made ({got.get('bucket')})")
        kms = boto3.client("kms", **kw)
        key = got.get("kms-key-id", "")
        try:
            # moto's DescribeKey fails (500) on a key made by its CloudFormation:
            # find the key by listing, then ask for its rotation
            key_id = key.rsplit("/", 1)[-1]
            ids = {k["KeyId"] for k in kms.list_keys()["Keys"]}
            check(key_id in ids, f"SSM kms-key-id names a key made ({key_id})")
            check(kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"],
                  "the data key rotates")
        except Exception as e:  # noqa: BLE001
            check(False, f"kms key {key}: {e}")
        kinds = sorted({r["ResourceType"] for r in made})
        print(f"  made {len(made)} resources of {len(template['Resources'])} "
              f"({len(removed)} left out: types moto lacks and what refers to them); types made: {', '.join(kinds)}")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    if failures:
        print(f"moto stack: {len(failures)} failed")
        sys.exit(1)
    print(f"moto stack: CREATE_COMPLETE, {len(made)} resources, all checks passed")


if __name__ == "__main__":
    main()
