/**
 * Jest's node environment runs each test file in its own VM realm, whose typed-array constructors differ from the
 * host's. onnxruntime-node's native binding checks tensor data against the host's Float32Array and rejects the
 * sandbox's. Give the sandbox the host's constructors for the types onnxruntime reads.
 */
const { TestEnvironment } = require('jest-environment-node');

class VerityEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of ['Float32Array', 'Float64Array', 'Int32Array', 'BigInt64Array', 'Uint8Array'])
      this.global[name] = globalThis[name];
  }
}

module.exports = VerityEnvironment;
