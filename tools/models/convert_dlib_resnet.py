#!/usr/bin/env python3
"""Convert the dlib face-recognition ResNet (as published in tfjs form by
@vladmandic/face-api 1.7.15, `model/face_recognition_model.bin` + manifest)
into an ONNX graph that tract can run.

dlib's `dlib_face_recognition_resnet_model_v1` (Davis E. King) is CC0; the
tfjs port is in face-api.js / @vladmandic/face-api (MIT). The network
(FaceRecognitionNet.ts in that package) is reproduced here op for op:

  input: 150x150 RGB, (x - mean_rgb) / 255, NHWC in tfjs -> NCHW here
  convDown 7x7/2 valid (32) -> maxpool 3/2 valid
  residual x3 (32) | residualDown (64) + residual x3 | residualDown (128) + residual x2
  | residualDown (256) + residual x2 | residualDown (256)
  -> global mean -> matmul fc[256,128] -> 128-d descriptor (euclidean; dlib threshold 0.6)

Each tfjs "conv" is conv2d + bias, then a per-channel scale layer (x*w + b);
both affine steps are folded into the ONNX Conv's weights and bias. Weights
are dequantised from uint8 (q * scale + min) as face-api.js does.

Usage: python3 convert_dlib_resnet.py <face-api package dir> <out.onnx>
Needs: numpy, onnx.
"""
import json
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def load_weights(pkg):
    manifest = json.load(open(f"{pkg}/model/face_recognition_model-weights_manifest.json"))[0]
    raw = open(f"{pkg}/model/{manifest['paths'][0]}", "rb").read()
    out, offset = {}, 0
    for w in manifest["weights"]:
        n = int(np.prod(w["shape"]))
        q = w.get("quantization")
        if q:
            assert q["dtype"] == "uint8"
            data = np.frombuffer(raw, dtype=np.uint8, count=n, offset=offset).astype(np.float32)
            data = data * np.float32(q["scale"]) + np.float32(q["min"])
            offset += n
        else:
            data = np.frombuffer(raw, dtype=np.float32, count=n, offset=offset)
            offset += 4 * n
        out[w["name"]] = data.reshape(w["shape"]).astype(np.float32)
    assert offset == len(raw), (offset, len(raw))
    return out


class Graph:
    def __init__(self, weights):
        self.w = weights
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, base):
        self.n += 1
        return f"{base}_{self.n}"

    def const(self, base, array):
        name = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, **attrs):
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def conv(self, x, prefix, stride, same, relu):
        f = self.w[f"{prefix}/conv/filters"]  # [kh, kw, in, out]
        b = self.w[f"{prefix}/conv/bias"]
        s = self.w[f"{prefix}/scale/weights"]
        sb = self.w[f"{prefix}/scale/biases"]
        kernel = (f * s).transpose(3, 2, 0, 1)  # -> [out, in, kh, kw]
        bias = b * s + sb
        k = f.shape[0]
        pads = [k // 2] * 4 if same else [0, 0, 0, 0]
        y = self.node("Conv", [x, self.const("W", kernel), self.const("B", bias)],
                      kernel_shape=[k, k], strides=[stride, stride], pads=pads)
        return self.node("Relu", [y]) if relu else y

    def residual(self, x, prefix):
        y = self.conv(x, f"{prefix}/conv1", 1, True, True)
        y = self.conv(y, f"{prefix}/conv2", 1, True, False)
        return self.node("Relu", [self.node("Add", [y, x])])

    def residual_down(self, x, prefix, size_in, ch_in, ch_out):
        y = self.conv(x, f"{prefix}/conv1", 2, False, True)
        y = self.conv(y, f"{prefix}/conv2", 1, True, False)
        size_out = (size_in - 3) // 2 + 1
        pooled = self.node("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])
        size_pool = (size_in - 2) // 2 + 1
        if size_pool != size_out:  # tfjs appends a zero row and column to `out`
            assert size_pool == size_out + 1
            y = self.node("Pad", [y, self.const("pads", np.array([0, 0, 0, 0, 0, 0, 1, 1], np.int64))])
        if ch_in != ch_out:  # zero channels appended to the shortcut
            pad = np.array([0, 0, 0, 0, 0, ch_out - ch_in, 0, 0], np.int64)
            pooled = self.node("Pad", [pooled, self.const("pads", pad)])
        return self.node("Relu", [self.node("Add", [pooled, y])]), size_pool


def build(weights):
    g = Graph(weights)
    mean = np.array([122.782, 117.001, 104.298], np.float32).reshape(1, 3, 1, 1)
    x = g.node("Sub", ["input", g.const("mean", mean)])
    x = g.node("Div", [x, g.const("scale", np.array(255.0, np.float32))])
    x = g.conv(x, "conv32_down", 2, False, True)            # 150 -> 72
    x = g.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2])  # -> 35
    size = 35
    for i in (1, 2, 3):
        x = g.residual(x, f"conv32_{i}")
    x, size = g.residual_down(x, "conv64_down", size, 32, 64)
    for i in (1, 2, 3):
        x = g.residual(x, f"conv64_{i}")
    x, size = g.residual_down(x, "conv128_down", size, 64, 128)
    for i in (1, 2):
        x = g.residual(x, f"conv128_{i}")
    x, size = g.residual_down(x, "conv256_down", size, 128, 256)
    for i in (1, 2):
        x = g.residual(x, f"conv256_{i}")
    x, size = g.residual_down(x, "conv256_down_out", size, 256, 256)
    x = g.node("GlobalAveragePool", [x])
    x = g.node("Flatten", [x])
    out = g.node("MatMul", [x, g.const("fc", weights["fc"])])
    g.nodes[-1].output[0] = "descriptor"
    graph = helper.make_graph(
        g.nodes, "dlib_face_recognition_resnet_v1",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 150, 150])],
        [helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, [1, 128])],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="kyc tools/models/convert_dlib_resnet.py")
    model.doc_string = ("dlib_face_recognition_resnet_model_v1 (Davis E. King, CC0) via the tfjs port "
                        "in @vladmandic/face-api 1.7.15 (MIT). Input: 150x150 aligned face chip, RGB 0..255, NCHW. "
                        "Output: 128-d descriptor; same person if euclidean distance < 0.6.")
    onnx.checker.check_model(model)
    return model


if __name__ == "__main__":
    pkg, out = sys.argv[1], sys.argv[2]
    onnx.save(build(load_weights(pkg)), out)
    print(f"wrote {out}")
