#!/usr/bin/env python
"""Rewrite MediaPipe's custom TFLite op Convolution2DTransposeBias as the builtin TRANSPOSE_CONV followed by
ADD (its bias), so that standard tools read the model (tf2onnx, ai-edge-litert without MediaPipe's ops).

    python scripts/models/tflite_rewrite.py IN.tflite OUT.tflite OUT.json

Runs in the tf2onnx venv (it uses TensorFlow's flatbuffer schema: tensorflow.lite.tools.flatbuffer_utils);
convert.py calls it. The custom op's options are TfLiteTransposeConvParams (int32 padding, stride_width,
stride_height; padding 1 = SAME); its inputs (input, weights OHWI, bias). OUT.json lists, per rewritten op,
the tensor names and strides, so convert.py can check the rewritten pair against the op's definition.
"""

import json
import struct
import sys

import numpy as np
from tensorflow.lite.python import schema_py_generated as schema
from tensorflow.lite.tools import flatbuffer_utils

CUSTOM = b"Convolution2DTransposeBias"
TFLITE_PADDING_SAME = 1  # TfLitePadding (MediaPipe's options): 0 unknown, 1 same, 2 valid


def rewrite(source: str, target: str) -> list[dict]:
    model = flatbuffer_utils.read_model(source)
    custom = {i for i, code in enumerate(model.operatorCodes) if code.customCode == CUSTOM}

    def opcode(builtin: int) -> int:
        for i, code in enumerate(model.operatorCodes):
            if code.builtinCode == builtin and not code.customCode:
                return i
        code = schema.OperatorCodeT()
        code.builtinCode, code.deprecatedBuiltinCode, code.version = builtin, min(builtin, 127), 1
        model.operatorCodes.append(code)
        return len(model.operatorCodes) - 1

    rewritten = []
    for graph in model.subgraphs:
        def tensor(name: bytes, shape, kind: int, data: bytes | None = None) -> int:
            t = schema.TensorT()
            t.name, t.shape, t.type = name, np.array(shape, np.int32), kind
            buffer = schema.BufferT()
            buffer.data = None if data is None else np.frombuffer(data, np.uint8)
            model.buffers.append(buffer)
            t.buffer = len(model.buffers) - 1
            graph.tensors.append(t)
            return len(graph.tensors) - 1

        operators = []
        for op in graph.operators:
            if op.opcodeIndex not in custom:
                operators.append(op)
                continue
            padding, stride_w, stride_h = struct.unpack("<3i", bytes(op.customOptions))
            if padding != TFLITE_PADDING_SAME:
                raise SystemExit(f"{CUSTOM.decode()} with padding {padding}: only SAME is handled")
            x, weights, bias = (int(i) for i in op.inputs)
            (out,) = (int(i) for i in op.outputs)
            name = graph.tensors[out].name
            shape = [int(v) for v in graph.tensors[out].shape]
            output_shape = tensor(name + b"/output_shape", [4], schema.TensorType.INT32,
                                  np.array(shape, np.int32).tobytes())
            without_bias = tensor(name + b"/without_bias", shape, schema.TensorType.FLOAT32)
            conv = schema.OperatorT()
            conv.opcodeIndex = opcode(schema.BuiltinOperator.TRANSPOSE_CONV)
            conv.inputs, conv.outputs = np.array([output_shape, weights, x], np.int32), np.array([without_bias], np.int32)
            options = schema.TransposeConvOptionsT()
            options.padding, options.strideW, options.strideH = schema.Padding.SAME, stride_w, stride_h
            conv.builtinOptionsType, conv.builtinOptions = schema.BuiltinOptions.TransposeConvOptions, options
            add = schema.OperatorT()
            add.opcodeIndex = opcode(schema.BuiltinOperator.ADD)
            add.inputs, add.outputs = np.array([without_bias, bias], np.int32), np.array([out], np.int32)
            add.builtinOptionsType, add.builtinOptions = schema.BuiltinOptions.AddOptions, schema.AddOptionsT()
            operators += [conv, add]
            rewritten.append({"input": graph.tensors[x].name.decode(), "weights": graph.tensors[weights].name.decode(),
                              "bias": graph.tensors[bias].name.decode(), "output": name.decode(),
                              "strides": [stride_h, stride_w]})
        graph.operators = operators
    flatbuffer_utils.write_model(model, target)
    return rewritten


if __name__ == "__main__":
    ops = rewrite(sys.argv[1], sys.argv[2])
    with open(sys.argv[3], "w") as f:
        json.dump(ops, f)
    print(f"rewrote {len(ops)} {CUSTOM.decode()} op(s)")
