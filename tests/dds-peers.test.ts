// The DDS test peers (tests/fixtures/dds-peers.ts) against each other, before Flux relies on them: a
// Cyclone DDS peer (idlc-generated types) and a Fast DDS peer (hand-written Fast CDR types) exchange
// Twist, LaserScan (360 ranges) and a 4 MiB Image in both directions over unicast loopback discovery,
// every decoded value checked against the expected-value functions the wire tests use.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  buildPeers,
  cycloneUri,
  ddsTestDomain,
  DDS_TYPE_NAMES,
  expectedLine,
  fastddsInitialPeers,
  fnv1a,
  IMAGE_BYTES,
  imageMessage,
  killAllPeers,
  laserScanMessage,
  peersUnavailable,
  startPeer,
  summarizeMessage,
  twistMessage,
  type PeerKind,
  type PeerMessageType,
} from './fixtures/dds-peers.js';
import { requires } from './requirements.js';

const missing = peersUnavailable();
if (missing && process.env.CI === 'true') throw new Error(`DDS peer tests need the Debian DDS packages under CI: ${missing}`);
if (missing) requires('dds-peers', missing);

const DOMAIN = ddsTestDomain('dds-peers');

describe('expected values', () => {
  it('follow the documented definitions', () => {
    expect(twistMessage(3)).toEqual({ linear: { x: 3.5, y: -6, z: 1 / 3 }, angular: { x: 0, y: 0, z: 0.75 } });
    const scan = laserScanMessage(2);
    expect(scan.ranges.length).toBe(360);
    expect(scan.ranges[10]).toBe(Math.fround(2.6));
    expect(scan.intensities[359]).toBe(359);
    expect(scan.angle_min).toBe(Math.fround(-Math.PI));
    const img = imageMessage(5, 8192);
    expect([img.height, img.width, img.step, img.data[0], img.data[1], img.data[40]]).toEqual([2, 1024, 4096, 5, 12, (280 + 5) & 0xff]);
    // FNV-1a 32-bit reference values
    expect(fnv1a(new Uint8Array())).toBe(0x811c9dc5);
    expect(fnv1a(new TextEncoder().encode('a'))).toBe(0xe40c292c);
    expect(fnv1a(new TextEncoder().encode('foobar'))).toBe(0xbf9cf968);
    expect(expectedLine('LaserScan', 1)).toMatchObject({
      n: 360,
      first: Math.fround(1.5),
      last: Math.fround(0.5 + 3.59 + 1),
      intensities: 360,
    });
    // summarizeMessage accepts plain arrays as well as typed arrays (decoders differ)
    expect(summarizeMessage('LaserScan', { ...scan, ranges: Array.from(scan.ranges), intensities: Array.from(scan.intensities) })).toEqual(
      expectedLine('LaserScan', 2),
    );
  });

  it('configure unicast discovery on loopback', () => {
    const uri = cycloneUri();
    expect(uri).toContain('<NetworkInterface name="lo" multicast="false"/>');
    expect(uri).toContain('<AllowMulticast>false</AllowMulticast>');
    expect(uri).toContain('<Peer address="127.0.0.1"/>');
    expect(fastddsInitialPeers(0)[0]).toEqual({ address: '127.0.0.1', port: 7410 });
    expect(fastddsInitialPeers(DOMAIN).at(-1)).toEqual({ address: '127.0.0.1', port: 7400 + 250 * DOMAIN + 10 + 2 * 20 });
    expect(DDS_TYPE_NAMES.Twist).toBe('geometry_msgs::msg::dds_::Twist_');
  });
});

describe.skipIf(missing !== null)('DDS test peers (Cyclone DDS and Fast DDS from Debian)', () => {
  beforeAll(() => {
    const b = buildPeers();
    console.log(b.buildMs > 0 ? `built the DDS peers in ${b.buildMs} ms (${b.dir})` : `DDS peers cached in ${b.dir}`);
  });
  afterEach(killAllPeers);
  afterAll(killAllPeers);

  const COUNTS: Record<PeerMessageType, number> = { Twist: 5, LaserScan: 4, Image: 3 };
  const cases: Array<[PeerKind, PeerKind, PeerMessageType]> = [];
  for (const type of ['Twist', 'LaserScan', 'Image'] as const) {
    cases.push(['cyclone', 'fastdds', type], ['fastdds', 'cyclone', type]);
  }

  it.each(cases)('%s pub -> %s sub: %s, values checked', async (pubKind, subKind, type) => {
    const topic = `rt/peers_${type.toLowerCase()}_${pubKind}`;
    const count = COUNTS[type];
    // The Cyclone side starts first: a Cyclone participant that joins after a Fast DDS one discovers
    // its endpoints only after about 1 s (Fast DDS's discovery heartbeat period), see dds-peers.ts.
    const start = (kind: PeerKind) =>
      kind === pubKind
        ? startPeer(kind, { domain: DOMAIN, mode: 'pub', type, topic, count, timeoutS: 30, waitForGo: true })
        : // A second for the writer to hear the reader's last acknowledgement before it leaves (a loaded
          // machine answers heartbeats late).
          startPeer(kind, { domain: DOMAIN, mode: 'sub', type, topic, count, timeoutS: 30, lingerMs: 1000 });
    const first = start('cyclone');
    await first.ready;
    const second = start('fastdds');
    const [pub, sub] = pubKind === 'cyclone' ? [first, second] : [second, first];
    // Publish once both sides have matched: the writer's match alone does not mean the reader has
    // discovered the writer, and a volatile reader drops what comes before.
    await Promise.all([pub.matched, sub.matched]);
    pub.go();
    const [subLines, pubLines] = await Promise.all([sub.done(40_000), pub.done(40_000)]);
    const expected = Array.from({ length: count }, (_, i) => expectedLine(type, i));
    expect(sub.samples()).toEqual(expected);
    if (type === 'Image') expect(sub.samples()[0]).toMatchObject({ n: IMAGE_BYTES, height: 1024, encoding: 'rgba8' });
    expect(subLines.some((l) => l.matched === true)).toBe(true);
    // Every sample arrived (above); the writer saw them acknowledged, or saw the reader leave having
    // taken them all (its last ACKNACK can be lost to the reader's departure on a loaded machine).
    const done = pubLines.find((l) => l.done === true)!;
    expect(done.sent).toBe(count);
    expect(done.acked === true || done.readers_left === true).toBe(true);
    const t = (lines: typeof subLines, pred: (l: Record<string, unknown>) => boolean) => lines.find(pred)?.at ?? NaN;
    console.log(
      `${type} ${pubKind} -> ${subKind}: pub matched after ${t(pubLines, (l) => l.matched === true).toFixed(0)} ms, ` +
        `last sample ${(t(pubLines, (l) => l.done === true) - t(pubLines, (l) => l.matched === true)).toFixed(0)} ms after the match`,
    );
  });

  it.each([
    ['cyclone', 'fastdds'],
    ['fastdds', 'cyclone'],
  ] as const)('%s pub -> %s sub: an Image of odd size (trailing CDR padding) decodes exactly', async (pubKind, subKind) => {
    // 4097 data bytes: the sample body is 4141 bytes. Cyclone pads it to 4144 and says so in the
    // encapsulation options (00 01 00 03); Fast DDS sends options 00 00 and pads the submessage.
    const topic = `rt/peers_odd_${pubKind}`;
    const imageBytes = 4097;
    const first =
      pubKind === 'cyclone'
        ? startPeer('cyclone', { domain: DOMAIN, mode: 'pub', type: 'Image', topic, count: 2, imageBytes, timeoutS: 30, waitForGo: true })
        : startPeer('cyclone', { domain: DOMAIN, mode: 'sub', type: 'Image', topic, count: 2, timeoutS: 30 });
    await first.ready;
    const second =
      pubKind === 'fastdds'
        ? startPeer('fastdds', { domain: DOMAIN, mode: 'pub', type: 'Image', topic, count: 2, imageBytes, timeoutS: 30, waitForGo: true })
        : startPeer('fastdds', { domain: DOMAIN, mode: 'sub', type: 'Image', topic, count: 2, timeoutS: 30 });
    const [pub, sub] = pubKind === 'cyclone' ? [first, second] : [second, first];
    expect(sub.kind).toBe(subKind);
    await Promise.all([pub.matched, sub.matched]);
    pub.go();
    await Promise.all([sub.done(40_000), pub.done(40_000)]);
    expect(sub.samples()).toEqual([expectedLine('Image', 0, imageBytes), expectedLine('Image', 1, imageBytes)]);
    expect(sub.samples()[1]).toMatchObject({ n: 4097, height: 1 });
  });

  it('a sub with nothing to receive times out with a message and a non-zero exit', async () => {
    const sub = startPeer('fastdds', { domain: DOMAIN, mode: 'sub', type: 'Twist', topic: 'rt/peers_nobody', count: 1, timeoutS: 1 });
    await sub.ready;
    const e = await sub.exit;
    expect(e.code).toBe(4);
    expect(e.stderr).toMatch(/timeout: received 0 of 1 samples on rt\/peers_nobody/);
  });

  it('a best-effort writer and a reliable reader do not match, and the reader says why', async () => {
    const sub = startPeer('cyclone', { domain: DOMAIN, mode: 'sub', type: 'Twist', topic: 'rt/peers_qos', count: 1, timeoutS: 2 });
    await sub.ready;
    const pub = startPeer('fastdds', {
      domain: DOMAIN,
      mode: 'pub',
      type: 'Twist',
      topic: 'rt/peers_qos',
      count: 1,
      reliability: 'best_effort',
      timeoutS: 2,
    });
    await sub.waitFor((l) => l.incompatible_qos !== undefined, 10_000, 'an incompatible QoS report');
    expect(sub.lines.find((l) => l.incompatible_qos !== undefined)?.incompatible_qos).toBe('reliability');
    expect((await pub.exit).code).toBe(4); // never matched
    expect(sub.samples()).toEqual([]);
  });
});
