// k6: sustained booking load at a fixed arrival rate against a RUNNING system.
//
//   make k6 BASE_URL=http://127.0.0.1:8000 RATE=300 DURATION=30s            # creates an event
//   make k6 BASE_URL=http://127.0.0.1:8000 EVENT_ID=1 RATE=300 DURATION=30s  # uses event 1
//
// Environment (all optional):
//   BASE_URL   ticketing API, loopback only            (default http://127.0.0.1:8000)
//   EVENT_ID   event to book on; without it, setup() creates one with SECTIONS sections of
//              10 subsections × 25 rows × 20 seats     (SECTIONS default 10: 50,000 seats)
//   RATE       bookings started per second             (default 200)
//   DURATION   how long, k6 duration syntax            (default 60s)
//   BUYERS     buyer accounts registered and logged in once in setup()   (default 50)
//   QUANTITY   seats per booking, N or N-M within 1-4  (default 1-4)
//   MAX_VUS    most concurrent requests; arrivals beyond it are dropped (default 500)
// Afterwards, check the event: python -m deploy.loadtest verify --event-id <id> (with the
// system's DATABASE_URL and KVROCKS_URL in the environment).
import http from 'k6/http';
import { check, fail } from 'k6';
import { Counter, Trend } from 'k6/metrics';

const BASE = (__ENV.BASE_URL || 'http://127.0.0.1:8000').replace(/\/$/, '');
const RATE = parseInt(__ENV.RATE || '200', 10);
const DURATION = __ENV.DURATION || '60s';
const BUYERS = parseInt(__ENV.BUYERS || '50', 10);
const SECTIONS = parseInt(__ENV.SECTIONS || '10', 10);
const MAX_VUS = parseInt(__ENV.MAX_VUS || '500', 10);
const [QMIN, QMAX] = (__ENV.QUANTITY || '1-4').split('-').map((n) => parseInt(n, 10));
const JSON_HEADERS = { 'Content-Type': 'application/json' };
const RUN = `${Date.now()}`;

const accepted = new Counter('bookings_accepted');
const rejected = new Counter('bookings_rejected');
const errors = new Counter('bookings_errors');
const acceptLatency = new Trend('accept_latency', true);

export const options = {
  scenarios: {
    sustained: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: Math.min(MAX_VUS, Math.max(10, Math.ceil(RATE / 10))),
      maxVUs: MAX_VUS,
    },
  },
  setupTimeout: '120s',
  summaryTrendStats: ['avg', 'p(50)', 'p(90)', 'p(99)', 'max'],
};

function loopbackOnly(url) {
  const host = url.replace(/^https?:\/\//, '').replace(/[:/].*$/, '');
  if (!(host === 'localhost' || host.startsWith('127.') || url.includes('://[::1]'))) {
    fail(`refusing to send load to ${host}: loopback addresses only`);
  }
}

function account(email, role) {
  const password = 'load-test-password';
  const user = { email, password, name: email.split('@')[0], role };
  http.post(`${BASE}/api/user`, JSON.stringify(user), { headers: JSON_HEADERS });
  const res = http.post(`${BASE}/api/user/login`, JSON.stringify({ email, password }),
    { headers: JSON_HEADERS });
  if (res.status !== 200) fail(`login of ${email}: HTTP ${res.status} ${res.body}`);
  return res.json('access_token');
}

function createEvent() {
  const token = account(`k6-${RUN}-seller@load.test`, 'seller');
  const sections = [];
  for (let i = 1; i <= SECTIONS; i++) {
    sections.push({ name: `S${String(i).padStart(2, '0')}`, price: 1000 + 100 * i, subsections: 10 });
  }
  const body = { name: `k6 sustained ${RUN}`, venue_name: 'load test',
    seating_config: { rows: 25, cols: 20, sections } };
  const res = http.post(`${BASE}/api/event`, JSON.stringify(body),
    { headers: { ...JSON_HEADERS, Authorization: `Bearer ${token}` }, timeout: '120s' });
  if (res.status !== 201) fail(`event creation: HTTP ${res.status} ${res.body}`);
  return res.json('id');
}

export function setup() {
  loopbackOnly(BASE);
  const eventId = __ENV.EVENT_ID ? parseInt(__ENV.EVENT_ID, 10) : createEvent();
  const event = http.get(`${BASE}/api/event/${eventId}`);
  if (event.status !== 200) fail(`event ${eventId}: HTTP ${event.status}`);
  const targets = [];
  for (const s of event.json('seating_config.sections')) {
    for (let n = 1; n <= s.subsections; n++) targets.push([s.name, n]);
  }
  const tokens = [];
  for (let i = 0; i < BUYERS; i++) tokens.push(account(`k6-${RUN}-b${i}@load.test`, 'buyer'));
  console.log(`event ${eventId}: ${targets.length} subsections, ${tokens.length} buyers`);
  return { eventId, targets, tokens };
}

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

export default function (data) {
  const [section, subsection] = pick(data.targets);
  const quantity = QMIN + Math.floor(Math.random() * ((QMAX || QMIN) - QMIN + 1));
  const body = { event_id: data.eventId, section, subsection, quantity,
    seat_selection_mode: 'best_available', seat_positions: [] };
  const res = http.post(`${BASE}/api/booking`, JSON.stringify(body), {
    headers: { ...JSON_HEADERS, Authorization: `Bearer ${pick(data.tokens)}` },
    tags: { name: 'POST /api/booking' },
  });
  if (res.status === 202) {
    accepted.add(1);
    acceptLatency.add(res.timings.duration);
  } else if (res.status >= 400 && res.status < 500) {
    rejected.add(1);
  } else {
    errors.add(1);
  }
  check(res, { 'answered 202 or 400': (r) => r.status === 202 || r.status === 400 });
}

export function teardown(data) {
  console.log(`done: verify with  python -m deploy.loadtest verify --event-id ${data.eventId}`);
}
