// Worker thread of IntakeCrypto: a request's input commitment (Poseidon) and its signer (secp256k1 recovery), the two
// costliest checks of intake, off the API's event loop. Plain CommonJS that registers the TypeScript loader itself
// (a worker of a process started without it, e.g. under jest, has none).
const { parentPort } = require('node:worker_threads');

if (!require.extensions['.ts']) require('@swc-node/register');
const { commitVector } = require('@verity/circuits/src/commit/commitVector');
const { recoverJobRequestSigner } = require('@verity/contracts/src/jobRequest');

parentPort.on('message', (batch) => {
  parentPort.postMessage(
    batch.map(({ id, values, bits, domainTag, salt, eip712, request, digest, signature }) => {
      try {
        const commitment = commitVector(values, bits, domainTag, salt);
        let signer = null;
        if (signature !== null)
          try {
            signer = recoverJobRequestSigner(eip712, request, signature, digest);
          } catch {
            // Not a 65-byte ECDSA signature: the caller asks the chain (ERC-1271).
          }
        return { id, commitment, signer };
      } catch (err) {
        return { id, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
});
