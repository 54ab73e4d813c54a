import { onnx } from 'onnx-proto';

import { OnnxParseError } from '../errors';
import { readTensor } from './readModel';
import type { OnnxTensor } from './types';

/** Decodes a serialized TensorProto (the `input_0.pb` / `output_0.pb` files of the ONNX backend test data). */
export function readTensorProto(bytes: Uint8Array): OnnxTensor {
  let proto: onnx.TensorProto;
  try {
    proto = onnx.TensorProto.decode(bytes);
  } catch (err) {
    throw new OnnxParseError('not an ONNX TensorProto (protobuf decoding failed)', { cause: err });
  }
  return readTensor(proto);
}
