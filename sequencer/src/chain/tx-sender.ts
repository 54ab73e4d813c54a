import { Transaction, type JsonRpcProvider, type TransactionReceipt, type TransactionRequest, type Wallet } from 'ethers';
import type { DataSource } from 'typeorm';

import { BaseError, ChainUnavailableError, createLogger } from '@verity/core';
import { toChainError } from '@verity/contracts';
import { ChainTxEntity } from './chain-tx.entity';

/** The node already has the transaction, or it is mined: a re-broadcast that changes nothing. */
const BENIGN_REFUSAL = /already known|known transaction|already imported|nonce too low/i;

export type SendTxParameters = {
  purpose: string;
  to: string;
  data: string;
  /** Set when the caller already estimated (or must not estimate: a call known to revert is never sent). */
  gasLimit?: bigint;
};

export type SentTx = { id: string; txHash: string; nonce: bigint };

/**
 * The one way the sequencer sends transactions on one chain with one key (op-service's txmgr habit): it owns the
 * nonces, writes every signed transaction to Postgres before broadcasting it, and waits for confirmations. After a
 * crash, `resume` re-broadcasts whatever was signed but not confirmed: the same bytes, the same nonce, so the chain
 * sees one transaction whatever happened to the process. Only the leader sequencer sends, so nonces never race
 * between processes; a mutex orders them within this one.
 *
 * A transaction the node refuses outright (insufficient funds, over the gas limit…) is deleted before the error
 * surfaces, so its nonce goes to the next transaction instead of leaving a gap that blocks every later one. Only a
 * row still `signed` can go: one the node answered with an error and does not hold. A broadcast whose outcome is
 * unknown (the connection failed) keeps its row `signed`, and the next send broadcasts it again first.
 */
export class TxSender {
  private readonly log = createLogger(TxSender.name);
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly parameters: {
      dataSource: DataSource;
      provider: JsonRpcProvider;
      wallet: Wallet;
      chainId: number;
      confirmations: number;
      name: 'l1' | 'l2';
    },
  ) {}

  get address(): string {
    return this.parameters.wallet.address;
  }

  /**
   * `send`, unless a transaction recorded for this very purpose already exists (signed, sent or mined; a replaced
   * one does not count): then that one. For a caller that records the transaction's id only after `send` returns,
   * a crash in between must not send it twice. `purpose` must name one intent (e.g. a batch row's id).
   */
  async sendOnce(tx: SendTxParameters): Promise<SentTx> {
    const row = await this.parameters.dataSource.getRepository(ChainTxEntity).findOne({
      where: { chainId: this.parameters.chainId, sender: this.parameters.wallet.address, purpose: tx.purpose },
      order: { id: 'DESC' },
    });
    if (row && row.status !== 'replaced') return { id: row.id, txHash: row.txHash, nonce: BigInt(row.nonce) };
    return this.send(tx);
  }

  /** Signs, records, then broadcasts. Returns once the transaction is in the node's pool (not yet mined). */
  send(tx: SendTxParameters): Promise<SentTx> {
    const run = this.queue.then(() => this.sendNow(tx));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sendNow(tx: SendTxParameters): Promise<SentTx> {
    const { dataSource, provider, wallet, chainId } = this.parameters;
    const repo = dataSource.getRepository(ChainTxEntity);
    // A transaction whose broadcast had no clear answer goes first: signing past it could leave a nonce gap.
    for (const row of await repo.find({
      where: { chainId, sender: wallet.address, status: 'signed' },
      order: { nonce: 'ASC' },
    }))
      await this.rebroadcast(row).catch((err: unknown) => {
        if (!(err instanceof TxRefusedError)) throw err; // dropped: its nonce goes to this transaction
      });
    const onChain = BigInt(await provider.getTransactionCount(wallet.address, 'pending'));
    const last = await repo
      .createQueryBuilder('t')
      .select('max(t.nonce)', 'max')
      .where('t.chain_id = :chainId AND t.sender = :sender', { chainId, sender: wallet.address })
      .getRawOne<{ max: string | null }>();
    const recorded = last?.max != null ? BigInt(last.max) + 1n : 0n;
    // The node's next nonce, unless a recorded transaction holds it (the node lost it): then after all of ours.
    const held = await repo.existsBy({ chainId, sender: wallet.address, nonce: onChain.toString() });
    const nonce = held ? recorded : onChain;
    let gasLimit = tx.gasLimit;
    if (gasLimit === undefined) {
      try {
        gasLimit = ((await provider.estimateGas({ from: wallet.address, to: tx.to, data: tx.data })) * 12n) / 10n;
      } catch (err) {
        // A revert here is the caller's to handle (ContractRevertedError): nothing was signed.
        throw toChainError(err);
      }
    }
    const request: TransactionRequest = { to: tx.to, data: tx.data, nonce: Number(nonce), chainId, gasLimit };
    const fees = await provider.getFeeData();
    if (fees.maxFeePerGas !== null) {
      // Headroom over the current base fee so a slow block does not strand the transaction.
      request.maxFeePerGas = fees.maxFeePerGas * 2n;
      request.maxPriorityFeePerGas = fees.maxPriorityFeePerGas ?? 1n;
      request.type = 2;
    } else request.gasPrice = fees.gasPrice ?? undefined;
    const raw = await wallet.signTransaction(request);
    const txHash = Transaction.from(raw).hash!;
    const row = await repo.save(
      repo.create({
        chainId,
        sender: wallet.address,
        nonce: nonce.toString(),
        purpose: tx.purpose,
        rawTx: raw,
        txHash,
        status: 'signed',
      }),
    );
    await this.broadcast(row);
    return { id: row.id, txHash, nonce };
  }

  private async broadcast(row: ChainTxEntity): Promise<void> {
    try {
      await this.parameters.provider.send('eth_sendRawTransaction', [row.rawTx]);
    } catch (err) {
      // Already known (a re-broadcast after a crash) is success.
      if (!BENIGN_REFUSAL.test(String((err as Error).message))) {
        const error = toChainError(err);
        // Only a refusal the node answered, for a transaction it does not hold, frees the nonce. Anything else (a
        // failed connection, a `sent` transaction the node may have passed on) keeps the row for a later broadcast.
        if (row.status === 'signed' && refusedByNode(err) && !(await this.nodeHolds(row))) throw await this.drop(row, error);
        throw error;
      }
    }
    await this.parameters.dataSource.getRepository(ChainTxEntity).update({ id: row.id }, { status: 'sent' });
    row.status = 'sent';
    this.log.debug(
      { chain: this.parameters.name, txHash: row.txHash, nonce: row.nonce, purpose: row.purpose },
      'transaction sent',
    );
  }

  /** Whether the node has the transaction (in its pool or mined); a failed lookup counts as yes. */
  private async nodeHolds(row: ChainTxEntity): Promise<boolean> {
    try {
      return (await this.parameters.provider.getTransaction(row.txHash)) !== null;
    } catch {
      return true;
    }
  }

  /** Deletes a transaction the node refused, so the next one takes its nonce; returns the error to surface. */
  private async drop(row: ChainTxEntity, error: BaseError): Promise<TxRefusedError> {
    await this.parameters.dataSource.getRepository(ChainTxEntity).delete({ id: row.id, status: 'signed' });
    this.log.warn(
      { chain: this.parameters.name, txHash: row.txHash, nonce: row.nonce, purpose: row.purpose, error: error.shortMessage },
      'transaction refused by the node; its nonce is free again',
    );
    return new TxRefusedError(row, error);
  }

  /** Records an unconfirmed row as mined if it is, else broadcasts it again. */
  private async rebroadcast(row: ChainTxEntity): Promise<void> {
    const receipt = await this.parameters.provider.getTransactionReceipt(row.txHash);
    if (receipt)
      await this.parameters.dataSource
        .getRepository(ChainTxEntity)
        .update(
          { id: row.id },
          { status: receipt.status === 1 ? 'confirmed' : 'reverted', blockNumber: String(receipt.blockNumber) },
        );
    else await this.broadcast(row);
  }

  /**
   * Waits until the transaction has `confirmations` blocks (itself included), records the outcome, returns the
   * receipt. Polls the receipt and the head itself rather than ethers' block subscription: on a chain that mines
   * only when a transaction arrives, a subscription that starts one block late never sees another block.
   */
  async waitConfirmed(id: string, timeoutMs = 120_000): Promise<TransactionReceipt> {
    const repo = this.parameters.dataSource.getRepository(ChainTxEntity);
    const row = await repo.findOneByOrFail({ id });
    const { provider } = this.parameters;
    const needed = Math.max(1, this.parameters.confirmations);
    const deadline = Date.now() + timeoutMs;
    let receipt: TransactionReceipt | null = null;
    let rebroadcast = Date.now() + 10_000;
    for (;;) {
      receipt = await provider.getTransactionReceipt(row.txHash);
      if (receipt && (await provider.getBlockNumber()) - receipt.blockNumber + 1 >= needed) break;
      if (Date.now() > deadline)
        throw new ChainUnavailableError({ details: `transaction ${row.txHash} not confirmed within ${timeoutMs} ms` });
      // A node that restarted (or dropped the transaction) gets the same bytes again now and then.
      if (!receipt && Date.now() > rebroadcast) {
        await this.broadcast(row).catch((err: unknown) => {
          if (err instanceof TxRefusedError) throw err; // gone: it will never be mined
        });
        rebroadcast = Date.now() + 10_000;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await repo.update(
      { id },
      {
        status: receipt.status === 1 ? 'confirmed' : 'reverted',
        blockNumber: String(receipt.blockNumber),
        gasUsed: receipt.gasUsed.toString(),
      },
    );
    return receipt;
  }

  /** The receipt of a recorded transaction if it is mined, else undefined (re-broadcasting it once). */
  async receiptOf(id: string): Promise<TransactionReceipt | undefined> {
    const repo = this.parameters.dataSource.getRepository(ChainTxEntity);
    const row = await repo.findOneByOrFail({ id });
    const receipt = await this.parameters.provider.getTransactionReceipt(row.txHash);
    if (receipt) return receipt;
    await this.broadcast(row);
    return undefined;
  }

  /**
   * After a restart: every signed-but-unconfirmed transaction is broadcast again (a no-op if the node has it). One
   * the node now refuses does not stop the others: a `signed` one is dropped (its nonce freed), a `sent` one stays
   * for `waitConfirmed` to retry.
   */
  async resume(): Promise<number> {
    const repo = this.parameters.dataSource.getRepository(ChainTxEntity);
    const open = await repo.find({
      where: [
        { chainId: this.parameters.chainId, sender: this.address, status: 'signed' },
        { chainId: this.parameters.chainId, sender: this.address, status: 'sent' },
      ],
      order: { nonce: 'ASC' },
    });
    for (const row of open) {
      try {
        await this.rebroadcast(row);
      } catch (err) {
        // Refused now: a `signed` one was dropped; a `sent` one stays for waitConfirmed. A chain that is down throws.
        if (!(err instanceof TxRefusedError) && !refusedByNode(toChainError(err).cause)) throw err;
        this.log.warn({ chain: this.parameters.name, txHash: row.txHash, nonce: row.nonce }, 'resumed transaction refused');
      }
    }
    if (open.length) this.log.info({ chain: this.parameters.name, count: open.length }, 'pending transactions resumed');
    return open.length;
  }
}

/** The node answered the broadcast with a JSON-RPC error: it certainly did not take the transaction. */
function refusedByNode(err: unknown): boolean {
  const e = err as { error?: { code?: unknown }; info?: { error?: { code?: unknown } } } | null;
  return typeof (e?.info?.error?.code ?? e?.error?.code) === 'number';
}

export class TxRefusedError extends BaseError {
  override name = 'TxRefusedError';
  constructor(row: ChainTxEntity, cause: BaseError) {
    super('TX_REFUSED', `the node refused transaction ${row.txHash} (${row.purpose}): ${cause.shortMessage}`, {
      details: `nonce ${row.nonce} is free again`,
      cause,
    });
  }
}
