/**
 * The GATT database every simulated device exposes, and read/write by handle. One layout for
 * all devices keeps handles predictable: 36 is the measurement (read, notify; notifications
 * carry handle 36), 37 its CCCD, 39 a writable control characteristic.
 */
import { asciiHex, hex2, measurementHex, type Device } from './devices.js';

const sig = (short: string): string => `0000${short}-0000-1000-8000-00805f9b34fb`;

interface Descriptor { handle: number; uuid: string }
interface Characteristic { uuid: string; handle: number; value_handle: number; properties: number; descriptors: Descriptor[] }
interface Service { uuid: string; primary: true; handle: number; end_handle: number; characteristics: Characteristic[] }

const READ = 0x02;
const WRITE_NR = 0x04;
const WRITE = 0x08;
const NOTIFY = 0x10;
const INDICATE = 0x20;

const ch = (uuid: string, handle: number, properties: number, descriptors: Descriptor[] = []): Characteristic =>
  ({ uuid, handle, value_handle: handle + 1, properties, descriptors });

/** The services of every simulated device, with characteristics and descriptors. */
export const GATT_DB: readonly Service[] = [
  { uuid: sig('1800'), primary: true, handle: 1, end_handle: 7, characteristics: [
    ch(sig('2a00'), 2, READ), ch(sig('2a01'), 4, READ), ch(sig('2a04'), 6, READ)] },
  { uuid: sig('1801'), primary: true, handle: 8, end_handle: 11, characteristics: [
    ch(sig('2a05'), 9, INDICATE, [{ handle: 11, uuid: sig('2902') }])] },
  { uuid: sig('180a'), primary: true, handle: 12, end_handle: 18, characteristics: [
    ch(sig('2a29'), 13, READ), ch(sig('2a24'), 15, READ), ch(sig('2a26'), 17, READ)] },
  { uuid: sig('180f'), primary: true, handle: 19, end_handle: 22, characteristics: [
    ch(sig('2a19'), 20, READ | NOTIFY, [{ handle: 22, uuid: sig('2902') }])] },
  { uuid: sig('fff0'), primary: true, handle: 34, end_handle: 39, characteristics: [
    ch(sig('fff1'), 35, READ | NOTIFY, [{ handle: 37, uuid: sig('2902') }]),
    ch(sig('fff2'), 38, READ | WRITE | WRITE_NR)] },
];

/** `/gatt/nodes/{dev}/services` (optionally only `uuid`). */
export function services(uuid?: string): unknown[] {
  return GATT_DB.filter((s) => !uuid || s.uuid === uuid.toLowerCase())
    .map(({ uuid: u, primary, handle, end_handle }) => ({ uuid: u, primary, handle, end_handle }));
}

/** `/gatt/nodes/{dev}/characteristics` or those of one service. */
export function characteristics(serviceUuid?: string): unknown[] {
  return GATT_DB.filter((s) => !serviceUuid || s.uuid === serviceUuid.toLowerCase())
    .flatMap((s) => s.characteristics.map(({ descriptors: _d, ...c }) => c));
}

/** Descriptors of one characteristic, or null when there is no such characteristic. */
export function descriptors(charUuid: string): unknown[] | null {
  for (const s of GATT_DB) for (const c of s.characteristics) if (c.uuid === charUuid.toLowerCase()) return c.descriptors;
  return null;
}

/** The value at a handle, or null when the handle is not readable. */
export function readHandle(d: Device, handle: number): string | null {
  switch (handle) {
    case 3: return asciiHex(d.name);
    case 5: return '0000';
    case 7: return '06000C0000009001';
    case 14: return asciiHex('Cassia Simulator');
    case 16: return asciiHex(d.kind === 'ruuvi' ? 'RuuviTag' : d.kind === 'eddystone' ? 'TLM Beacon' : 'Sensor');
    case 18: return asciiHex('1.0.3');
    case 21: return hex2(80 + (d.index % 20));
    case 22: return '0000';
    case 36: return measurementHex(d);
    case 37: return d.cccd;
    case 39: return d.control;
    default: return null;
  }
}

/** Writes a value; false when the handle is not writable. */
export function writeHandle(d: Device, handle: number, value: string): boolean {
  if (handle === 37 || handle === 22 || handle === 11) {
    if (handle === 37) d.cccd = value.toUpperCase();
    return true;
  }
  if (handle === 39) {
    d.control = value.toUpperCase();
    return true;
  }
  return false;
}
