/**
 * Simulated BLE devices and the payloads they advertise. Counters advance by exactly 1 per
 * emitted event (docs/stream-semantics.md), and each payload is pre-split into constant hex
 * pieces so that building an event costs a few string concatenations, not an encoder.
 */
import { macFromBytes } from './mac.js';
import { intBetween, type Rng } from './prng.js';

/** What a device advertises: RuuviTag data format 5, Eddystone-TLM, or nothing countable. */
export type DeviceKind = 'ruuvi' | 'eddystone' | 'plain';

/** One device near one gateway. */
export interface Device {
  index: number;
  mac: string;
  addrType: 'public' | 'random';
  kind: DeviceKind;
  name: string;
  /** RuuviTag measurement sequence (16-bit) or Eddystone-TLM ADV_CNT (32-bit); unused for plain. */
  counter: number;
  /** Per-device notification sequence number (`seqNum` with `sequence=2`). */
  notifySeq: number;
  rssiBase: number;
  connected: boolean;
  /** Value last written to the control characteristic (handle 39), and the CCCD (37). */
  control: string;
  cccd: string;
  /** 16-bit service UUIDs advertised (for `filter_uuid`). */
  uuids: string[];
  adPrefix: string;
  adMiddle: string;
  adSuffix: string;
  /** JSON fragment `"bdaddrs":[...]` built once. */
  bdaddrsJson: string;
  nameJson: string;
  scanDataHex: string;
  /** The last advertisement emitted. */
  adData: string;
  rssi: number;
}

const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, '0').toUpperCase();
const hex4 = (n: number): string => (n & 0xffff).toString(16).padStart(4, '0').toUpperCase();
const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0').toUpperCase();

function asciiHex(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += hex2(text.charCodeAt(i));
  return out;
}

/** Creates the devices of one gateway; kinds rotate ruuvi, eddystone, plain, ruuvi, … */
export function createDevices(count: number, rng: Rng): Device[] {
  const devices: Device[] = [];
  for (let i = 0; i < count; i++) {
    const kind: DeviceKind = (['ruuvi', 'eddystone', 'plain'] as const)[i % 3] ?? 'plain';
    const bytes = [0, 0, 0, 0, 0, 0].map(() => intBetween(rng, 0, 255));
    // Random static addresses have the two top bits set; plain devices get public addresses.
    if (kind === 'plain') bytes[0] = (bytes[0] ?? 0) & 0xfc;
    else bytes[0] = (bytes[0] ?? 0) | 0xc0;
    const mac = macFromBytes(bytes);
    const short = mac.slice(12).replace(':', '');
    const name = kind === 'ruuvi' ? `Ruuvi ${short}` : kind === 'eddystone' ? `Beacon ${short}` : `Sensor-${short}`;
    const wrap = kind === 'ruuvi' ? 65536 : 4294967296;
    // Every fifth counting device starts within 20 of the wrap point, so wrap-around is exercised.
    const counter = i % 5 === 0 ? wrap - intBetween(rng, 1, 20) : intBetween(rng, 0, kind === 'ruuvi' ? 65535 : 1_000_000);
    const device: Device = {
      index: i, mac, addrType: kind === 'plain' ? 'public' : 'random', kind, name, counter,
      notifySeq: intBetween(rng, 1, 1000), rssiBase: intBetween(rng, -90, -45), connected: false,
      control: '00', cccd: '0000', uuids: [], adPrefix: '', adMiddle: '', adSuffix: '',
      bdaddrsJson: `"bdaddrs":[{"bdaddr":"${mac}","bdaddrType":"${kind === 'plain' ? 'public' : 'random'}"}]`,
      nameJson: JSON.stringify(name), scanDataHex: '', adData: '', rssi: 0,
    };
    const nameAd = `${hex2(name.length + 1)}09${asciiHex(name)}`;
    if (kind === 'ruuvi') {
      // Flags, then manufacturer data 0x0499 (little-endian on air: 99 04), format 5, 24 bytes.
      device.adPrefix = '0201061BFF990405';
      // humidity 45 %, pressure 101325 Pa, acceleration, battery 2977 mV / +4 dBm, movement 7
      device.adMiddle = `4650C87D0004FFFC040C${hex4(((2977 - 1600) << 5) | 22)}07`;
      device.adSuffix = mac.replace(/:/g, '');
      device.scanDataHex = nameAd;
    } else if (kind === 'eddystone') {
      device.uuids = ['feaa'];
      // Flags, 16-bit UUID list (FEAA), service data FEAA: TLM frame 0x20, version 0, VBATT 3000 mV.
      device.adPrefix = '0201060303AAFE1116AAFE20000BB8';
      device.scanDataHex = nameAd;
    } else {
      device.uuids = ['180f'];
      // Flags, 16-bit UUID list (Battery Service 0x180F), complete local name.
      device.adPrefix = `02010603030F18${nameAd}`;
    }
    devices.push(device);
  }
  return devices;
}

/**
 * Advances the device's advertising counter and stores the new `adData` and RSSI on the device
 * (no allocation per event beyond the strings themselves).
 */
export function advanceScan(device: Device, uptimeDs: number): void {
  if (device.kind === 'ruuvi') {
    device.counter = (device.counter + 1) & 0xffff;
    const temperature = 4300 + (device.counter % 40); // 21.5 °C and a little drift, 0.005 °C steps
    device.adData = device.adPrefix + hex4(temperature) + device.adMiddle + hex4(device.counter) + device.adSuffix;
  } else if (device.kind === 'eddystone') {
    device.counter = (device.counter + 1) >>> 0;
    device.adData = `${device.adPrefix}${hex4(0x1580 + (device.counter % 16))}${hex8(device.counter)}${hex8(uptimeDs)}`;
  } else {
    device.counter++;
    device.adData = device.adPrefix;
  }
  device.rssi = device.rssiBase + ((device.counter * 7 + uptimeDs) % 7) - 3;
}

/** The scan event's JSON members for the device's current advertisement. */
export function scanCore(device: Device, active: boolean): string {
  return `${device.bdaddrsJson},"adData":"${device.adData}","scanData":"${active ? device.scanDataHex : ''}","name":${device.nameJson},"rssi":${device.rssi},"evtType":${active ? 4 : 0}`;
}

/**
 * The link RSSI of a connected device for the RSSI stream: its base level and a small drift,
 * an integer within -95..-35. Reads nothing the scan generator changes and changes nothing.
 */
export function linkRssi(device: Device, uptimeDs: number): number {
  const value = device.rssiBase + ((uptimeDs + device.index * 3) % 7) - 3;
  return Math.max(-95, Math.min(-35, value));
}

/** The current measurement a device notifies on and answers from handle 36. */
export function measurementHex(device: Device): string {
  return `${hex4(0x0856 + (device.notifySeq % 64))}${hex4(device.notifySeq)}`;
}

/** `2021-03-08 10:07:17.723 UTC`, the gateway's `timestamp=1` format (in UTC). */
export function gatewayTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)} UTC`;
}

export { hex2, hex4, asciiHex };
