import type { Device } from './device.js';
import { PacketVector, VECTOR_SIZE } from './packet-vector.js';

/**
 * An interface of the router: a device plus the graph node its received frames enter,
 * and the vector its outgoing packets wait in until the end of the breath.
 */
export class Interface {
  readonly index: number;
  readonly name: string;
  readonly device: Device;
  /** Graph node index that receives this interface's frames. */
  inputNode: number;
  /** Packets queued for transmit in the current breath. */
  readonly txq = new PacketVector(VECTOR_SIZE);
  /** Reused receive vector. */
  readonly rxv = new PacketVector(VECTOR_SIZE);
  /** Breaths run for this interface. */
  breaths = 0;

  constructor(index: number, name: string, device: Device, inputNode: number) {
    this.index = index;
    this.name = name;
    this.device = device;
    this.inputNode = inputNode;
  }
}
