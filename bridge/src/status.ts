import { readMessageStatus, type Messenger } from './crossChainMessenger';
import { MessageNotFoundError } from './errors';

export type MessageStatusName =
  | 'UNCONFIRMED_L1_TO_L2_MESSAGE'
  | 'FAILED_L1_TO_L2_MESSAGE'
  | 'STATE_ROOT_NOT_PUBLISHED'
  | 'READY_TO_PROVE'
  | 'IN_CHALLENGE_PERIOD'
  | 'READY_FOR_RELAY'
  | 'RELAYED';

export type GetMessageStatusReturnType = { txHash: string; status: MessageStatusName };

/** The status of the bridge message sent by a deposit (L1 tx) or withdrawal (L2 tx). */
export async function getMessageStatus(messenger: Messenger, txHash: string): Promise<GetMessageStatusReturnType> {
  try {
    return { txHash, status: await readMessageStatus(messenger, txHash) };
  } catch (err) {
    throw new MessageNotFoundError(txHash, { cause: err });
  }
}
