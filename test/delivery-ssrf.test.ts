// SSRF protection (src/delivery/ssrf.ts): address classes, allow-lists, URL checks with an
// injected resolver, and a real HTTP server for pinning and redirects.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { request } from 'undici';
import { allowList, checkUrl, classifyAddress, isLoopbackHost, pinnedAgent, ssrfPolicy } from '../src/delivery/ssrf.js';
import type { CheckedTarget, Resolver } from '../src/delivery/ssrf.js';

/** A resolver answering from a table, as node:dns/promises lookup with all: true would. */
function resolver(table: Record<string, string[]>): Resolver {
  return (hostname) => {
    const addresses = table[hostname];
    if (addresses === undefined) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
}

const EXPOSED = ssrfPolicy('0.0.0.0');

describe('classifyAddress', () => {
  const cases: [string, string][] = [
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.0.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.100.100.200', 'metadata'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['198.18.0.1', 'reserved'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.7', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['[::1]', 'loopback'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fd00:ec2::254', 'metadata'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'],
    ['64:ff9b:1::1', 'private'],
    ['100::1', 'reserved'],
  ];
  for (const [address, category] of cases) {
    it(`${address} is ${category}`, () => assert.equal(classifyAddress(address)?.category, category));
  }

  it('leaves public addresses public', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '172.15.255.255', '100.128.0.1', '169.255.0.1', '11.0.0.1', '2606:4700:4700::1111', '2a00:1450::1']) {
      assert.deepEqual(classifyAddress(a), { category: 'public' }, a);
    }
  });

  it('judges IPv4-mapped IPv6 by its IPv4 address, in every spelling', () => {
    for (const a of [
      '::ffff:127.0.0.1',
      '::FFFF:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:7f00:0001',
      '0:0:0:0:0:ffff:7f00:1',
      '0000:0000:0000:0000:0000:ffff:127.0.0.1',
      '[::ffff:127.0.0.1]',
      new URL('http://[::ffff:127.0.0.1]/').hostname,
    ]) {
      assert.deepEqual(classifyAddress(a), { category: 'loopback', range: '127.0.0.0/8', embedded: { form: 'ipv4-mapped', ipv4: '127.0.0.1' } }, a);
    }
    assert.equal(classifyAddress('::ffff:a9fe:a9fe')?.category, 'metadata');
    assert.equal(classifyAddress('::ffff:10.1.2.3')?.category, 'private');
    assert.deepEqual(classifyAddress('::ffff:8.8.8.8'), { category: 'public', embedded: { form: 'ipv4-mapped', ipv4: '8.8.8.8' } });
  });

  it('judges IPv4-compatible, IPv4-translated, NAT64 and 6to4 forms by their IPv4 address', () => {
    assert.deepEqual(classifyAddress('::127.0.0.1')?.embedded, { form: 'ipv4-compatible', ipv4: '127.0.0.1' });
    assert.equal(classifyAddress('::127.0.0.1')?.category, 'loopback');
    assert.equal(classifyAddress('::ffff:0:10.0.0.1')?.category, 'private');
    assert.equal(classifyAddress('64:ff9b::169.254.169.254')?.category, 'metadata');
    assert.equal(classifyAddress('64:ff9b::a00:1')?.category, 'private');
    assert.equal(classifyAddress('64:ff9b::8.8.8.8')?.category, 'public');
    assert.equal(classifyAddress('2002:7f00:1::')?.category, 'loopback');
    assert.equal(classifyAddress('2002:0808:0808::1')?.category, 'public');
  });

  it('is null for what is not an address', () => {
    for (const t of ['example.com', '127.1', '0x7f000001', '256.0.0.1', '1.2.3', ':::1', '', 'fe80::1%']) {
      assert.equal(classifyAddress(t), null, t);
    }
  });

  it('property: every 127/8, 10/8 and 169.254/16 address, plain or mapped, is refused', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(fc.constantFrom(127, 10, 169), octet, octet, octet, (a, b, c, d) => {
        const v4 = `${a}.${a === 169 ? 254 : b}.${c}.${d}`;
        const hex = (n: number): string => n.toString(16);
        const [p, q, r, s] = v4.split('.').map(Number) as [number, number, number, number];
        for (const form of [v4, `::ffff:${v4}`, `::ffff:${hex((p << 8) | q)}:${hex((r << 8) | s)}`]) {
          assert.notEqual(classifyAddress(form)?.category, 'public', form);
        }
      }),
    );
  });
});

describe('allowList and policy', () => {
  it('is off when bound to loopback, on otherwise', () => {
    for (const h of ['127.0.0.1', '127.0.0.2', '::1', 'localhost', 'LOCALHOST.']) {
      assert.equal(isLoopbackHost(h), true, h);
      assert.equal(ssrfPolicy(h).enabled, false, h);
    }
    for (const h of ['0.0.0.0', '::', '10.0.0.5', 'switchyard.internal']) assert.equal(ssrfPolicy(h).enabled, true, h);
  });

  it('takes CIDR blocks, addresses, host names and *.suffixes, and refuses anything else', () => {
    const a = allowList(['10.1.0.0/16', 'fd00::5', 'Hooks.Internal.', '*.svc.local']);
    assert.equal(a.blocks.length, 2);
    assert.deepEqual(a.hosts, ['hooks.internal']);
    assert.deepEqual(a.suffixes, ['.svc.local']);
    for (const bad of ['10.0.0.0/33', 'http://x', '*', '1.2.3', 'a b']) assert.throws(() => allowList([bad]), RangeError, bad);
  });
});

describe('checkUrl', () => {
  const dns = resolver({
    'loopback.test': ['127.0.0.1'],
    'mixed.test': ['93.184.216.34', '10.0.0.7'],
    'public.test': ['93.184.216.34', '2606:2800:220:1::1'],
    'metadata.test': ['169.254.169.254'],
    'mapped.test': ['::ffff:127.0.0.1'],
    'hooks.internal': ['10.2.3.4'],
    'a.svc.local': ['10.9.9.9'],
    'empty.test': [],
  });

  it('refuses a name that resolves to loopback, metadata or IPv4-mapped loopback', async () => {
    for (const host of ['loopback.test', 'metadata.test', 'mapped.test']) {
      const r = await checkUrl(`https://${host}/hook`, EXPOSED, dns);
      assert.equal(r.ok, false, host);
      assert.equal(!r.ok && r.reason, 'address-refused');
    }
    const r = await checkUrl('https://metadata.test/', EXPOSED, dns);
    assert.ok(!r.ok && /metadata address/.test(r.message), JSON.stringify(r));
  });

  it('refuses a name when any of its addresses is refused', async () => {
    const r = await checkUrl('https://mixed.test/', EXPOSED, dns);
    assert.ok(!r.ok && r.reason === 'address-refused' && r.address === '10.0.0.7');
  });

  it('refuses IP literals in every spelling the URL parser accepts', async () => {
    for (const url of ['http://127.0.0.1/', 'http://127.1/', 'http://2130706433/', 'http://0x7f.0.0.1/', 'http://[::1]:8080/', 'http://[::ffff:127.0.0.1]/', 'http://[::ffff:7f00:1]/', 'http://0/', 'http://169.254.169.254/latest/meta-data/']) {
      const r = await checkUrl(url, EXPOSED, dns);
      assert.ok(!r.ok && r.reason === 'address-refused', url);
    }
  });

  it('returns the first address to connect to, with host and port', async () => {
    const r = await checkUrl('https://public.test/x', EXPOSED, dns);
    assert.ok(r.ok);
    assert.deepEqual([r.hostname, r.port, r.address, r.family], ['public.test', 443, '93.184.216.34', 4]);
    const v6 = await checkUrl('http://[2606:2800:220:1::1]:8080/', EXPOSED, dns);
    assert.ok(v6.ok);
    assert.deepEqual([v6.hostname, v6.port, v6.address, v6.family], ['2606:2800:220:1::1', 8080, '2606:2800:220:1::1', 6]);
  });

  it('allows what is allow-listed, by block, by host name and by suffix', async () => {
    const policy = ssrfPolicy('0.0.0.0', ['127.0.0.0/8', 'hooks.internal', '*.svc.local']);
    for (const url of ['http://loopback.test/', 'http://mapped.test/', 'http://hooks.internal/', 'http://a.svc.local/', 'http://127.0.0.1:9/']) {
      assert.equal((await checkUrl(url, policy, dns)).ok, true, url);
    }
    assert.equal((await checkUrl('http://metadata.test/', policy, dns)).ok, false);
  });

  it('allows everything when bound to loopback, still pinning the address', async () => {
    const r = await checkUrl('http://metadata.test/', ssrfPolicy('127.0.0.1'), dns);
    assert.ok(r.ok && r.address === '169.254.169.254');
  });

  it('refuses other schemes, credentials, malformed URLs and names that do not resolve', async () => {
    const reasons = async (url: string): Promise<string | undefined> => {
      const r = await checkUrl(url, ssrfPolicy('127.0.0.1'), dns);
      return r.ok ? undefined : r.reason;
    };
    assert.equal(await reasons('ftp://public.test/'), 'unsupported-protocol');
    assert.equal(await reasons('file:///etc/passwd'), 'unsupported-protocol');
    assert.equal(await reasons('http://user:pw@public.test/'), 'credentials-in-url');
    assert.equal(await reasons('http://public.test@127.0.0.1/'), 'credentials-in-url');
    assert.equal(await reasons('not a url'), 'invalid-url');
    assert.equal(await reasons('http://nowhere.test/'), 'dns-failure');
    assert.equal(await reasons('http://empty.test/'), 'dns-failure');
  });
});

describe('pinnedAgent against a real server', () => {
  let server: Server;
  let port: number;
  const seen: { url: string | undefined; host: string | undefined }[] = [];

  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      seen.push({ url: req.url, host: req.headers.host });
      if (req.url === '/redirect') {
        res.writeHead(302, { location: `http://127.0.0.1:${port}/secret` }).end();
      } else if (req.url === '/metadata') {
        res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** A name the system resolver does not know, pinned to the local server by the check. */
  async function pinned(): Promise<CheckedTarget> {
    const policy = ssrfPolicy('0.0.0.0', ['api.example']);
    const r = await checkUrl(`http://api.example:${port}/`, policy, resolver({ 'api.example': ['127.0.0.1'] }));
    assert.ok(r.ok);
    return r;
  }

  it('connects to the checked address, with the URL host as Host header', async () => {
    const target = await pinned();
    const agent = pinnedAgent(target);
    try {
      const res = await request(`http://api.example:${port}/hello`, { dispatcher: agent });
      assert.equal(res.statusCode, 200);
      assert.equal(await res.body.text(), 'ok');
      assert.deepEqual(seen.at(-1), { url: '/hello', host: `api.example:${port}` });
    } finally {
      await agent.close();
    }
  });

  it('does not follow redirects: the 3xx is the response', async () => {
    const target = await pinned();
    const agent = pinnedAgent(target);
    try {
      const before = seen.length;
      for (const path of ['/redirect', '/metadata']) {
        const res = await request(`http://api.example:${port}${path}`, { dispatcher: agent });
        await res.body.dump();
        assert.ok(res.statusCode === 302 || res.statusCode === 301, `${res.statusCode}`);
      }
      assert.deepEqual(seen.slice(before).map((s) => s.url), ['/redirect', '/metadata']);
    } finally {
      await agent.close();
    }
  });

  it('refuses to connect to any other origin', async () => {
    const target = await pinned();
    const agent = pinnedAgent(target);
    try {
      const before = seen.length;
      await assert.rejects(request(`http://127.0.0.1:${port}/secret`, { dispatcher: agent }), /pinned to http:\/\/api\.example/);
      assert.equal(seen.length, before);
    } finally {
      await agent.close();
    }
  });
});
