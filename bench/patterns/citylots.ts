// Synthetic "citylots"-like events for the pattern benchmark.
//
// The classic pattern-matching benchmark (aws/event-ruler's CL2 groups, timbray/quamina's
// citylots tests) runs over citylots: ~213,000 San Francisco land parcels as GeoJSON
// features. That data set is not available here, so this module makes events of the same
// shape from a seeded generator (same seed, same events, on every machine).
//
// The CL2 rule groups (cl2-benchmark-rules.json) were written for event-ruler's
// citylots2.json, which differs from the original citylots in two ways that the rules rely
// on: every vertex in `geometry.coordinates` is an object {x, y, z} instead of an [x, y, z]
// array, and `geometry.firstCoordinates` holds a copy of the first vertex. So an event is:
//
//   {"type":"Feature",
//    "properties":{"MAPBLKLOT":"0522019","BLKLOT":"0522029","BLOCK_NUM":"0522","LOT_NUM":"029",
//                  "FROM_ST":"1501","TO_ST":"1501","STREET":"GREENWICH","ST_TYPE":"ST","ODD_EVEN":"O"},
//    "geometry":{"type":"Polygon",
//                "coordinates":[[{"x":-122.42485025893909,"y":37.79987617371178,"z":0}, ...]],
//                "firstCoordinates":{"x":-122.42485025893909,"y":37.79987617371178,"z":0}}}
//
// about 900 bytes of compact JSON on average (5 to 17 vertices; ~1% are MultiPolygons, whose
// coordinates nest one level deeper, as GeoJSON's do).
//
// THE DISTRIBUTION IS SYNTHETIC. Street names, street types, block and lot numbers and
// coordinates follow San Francisco's shapes (real street names, x in -122.514..-122.357,
// y in 37.708..37.833 with 14 or so decimals, 7-digit MAPBLKLOTs with the odd lettered block),
// and a few values are planted on purpose so that every CL2 rule that can match does match
// now and then (the MAPBLKLOTs of the EXACT group, streets starting with AC/BL/DR/FU/RH, the
// exact coordinates of COMPLEX_ARRAYS and NUMERIC, FROM_ST 441, ...). But the frequencies are
// invented: the match counts the benchmark prints for these events are NOT comparable with
// the `expected_match_counts` recorded for the real citylots2 (213,068 records) in
// cl2-benchmark-rules.json, and should not be checked against them.

import { Random, weightedTable } from './prng.js';

/** One vertex, as citylots2 writes it. */
export interface Vertex {
  x: number;
  y: number;
  z: number;
}

export interface CitylotProperties {
  MAPBLKLOT: string;
  BLKLOT: string;
  BLOCK_NUM: string | null;
  LOT_NUM: string | null;
  FROM_ST: string | null;
  TO_ST: string | null;
  STREET: string | null;
  ST_TYPE: string | null;
  ODD_EVEN: string | null;
}

export type CitylotGeometry =
  | { type: 'Polygon'; coordinates: Vertex[][]; firstCoordinates: Vertex }
  | { type: 'MultiPolygon'; coordinates: Vertex[][][]; firstCoordinates: Vertex };

export interface Citylot {
  type: 'Feature';
  properties: CitylotProperties;
  geometry: CitylotGeometry;
}

/** The seed used by the benchmark unless told otherwise. */
export const DEFAULT_SEED = 20_240_611;

// Real San Francisco streets with their usual type, and a relative weight (longer streets
// border more lots). Numbered avenues and streets are added below.
const NAMED_STREETS: readonly (readonly [string, string | null, number])[] = [
  ['FULTON', 'ST', 10], ['MASON', 'ST', 4], ['JEFFERSON', 'ST', 1], ['BEACH', 'ST', 2],
  ['HYDE', 'ST', 4], ['CHESTNUT', 'ST', 4], ['TURK', 'BLVD', 2], ['TURK', 'ST', 3],
  ['GREENWICH', 'ST', 4], ['CABRILLO', 'ST', 5], ['ACTON', 'ST', 1], ['BLAKE', 'ST', 1],
  ['BLANKEN', 'AVE', 1], ['BLYTHDALE', 'AVE', 1], ['DRUMM', 'ST', 1], ['DRAKE', 'ST', 1],
  ['FUNSTON', 'AVE', 2], ['RHODE ISLAND', 'ST', 2], ['LAKE', 'ST', 4], ['KING', 'ST', 1],
  ['IRVING', 'ST', 6], ['SANTIAGO', 'ST', 5], ['SAN DIEGO', 'AVE', 1], ['CHICAGO', 'WAY', 1],
  ['CLAYTON', 'ST', 2], ['MADISON', 'ST', 1], ['HARRISON', 'ST', 4], ['LYON', 'ST', 2],
  ['JACKSON', 'ST', 5], ['WASHINGTON', 'ST', 5], ['CLAY', 'ST', 4], ['SACRAMENTO', 'ST', 5],
  ['CALIFORNIA', 'ST', 6], ['PINE', 'ST', 3], ['BUSH', 'ST', 3], ['SUTTER', 'ST', 3],
  ['POST', 'ST', 3], ['GEARY', 'BLVD', 6], ['ANZA', 'ST', 5], ['BALBOA', 'ST', 5],
  ['CLEMENT', 'ST', 5], ['MISSION', 'ST', 6], ['VALENCIA', 'ST', 3], ['GUERRERO', 'ST', 3],
  ['DOLORES', 'ST', 3], ['CHURCH', 'ST', 3], ['SANCHEZ', 'ST', 3], ['NOE', 'ST', 3],
  ['CASTRO', 'ST', 3], ['DIAMOND', 'ST', 3], ['DOUGLASS', 'ST', 2], ['FOLSOM', 'ST', 4],
  ['HOWARD', 'ST', 2], ['BRYANT', 'ST', 4], ['YORK', 'ST', 2], ['HAMPSHIRE', 'ST', 2],
  ['POTRERO', 'AVE', 2], ['VERMONT', 'ST', 2], ['KANSAS', 'ST', 2], ['ARKANSAS', 'ST', 2],
  ['CAROLINA', 'ST', 2], ['WISCONSIN', 'ST', 2], ['MISSOURI', 'ST', 2], ['TEXAS', 'ST', 1],
  ['PENNSYLVANIA', 'AVE', 2], ['JUDAH', 'ST', 6], ['KIRKHAM', 'ST', 5], ['LAWTON', 'ST', 5],
  ['MORAGA', 'ST', 5], ['NORIEGA', 'ST', 6], ['ORTEGA', 'ST', 5], ['PACHECO', 'ST', 5],
  ['QUINTARA', 'ST', 5], ['RIVERA', 'ST', 5], ['TARAVAL', 'ST', 5], ['ULLOA', 'ST', 4],
  ['VICENTE', 'ST', 4], ['WAWONA', 'ST', 3], ['SLOAT', 'BLVD', 2], ['SUNSET', 'BLVD', 2],
  ['OCEAN', 'AVE', 4], ['GENEVA', 'AVE', 3], ['MONTEREY', 'BLVD', 3], ['PORTOLA', 'DR', 2],
  ['DIAMOND HEIGHTS', 'BLVD', 1], ['TWIN PEAKS', 'BLVD', 1], ['SILVER', 'AVE', 3],
  ['ALEMANY', 'BLVD', 2], ['SAN BRUNO', 'AVE', 2], ['INNES', 'AVE', 2], ['HUDSON', 'AVE', 2],
  ['OAKDALE', 'AVE', 2], ['PALOU', 'AVE', 3], ['QUESADA', 'AVE', 2], ['REVERE', 'AVE', 2],
  ['SHAFTER', 'AVE', 2], ['THOMAS', 'AVE', 1], ['UNDERWOOD', 'AVE', 1], ['VAN DYKE', 'AVE', 1],
  ['WALLACE', 'AVE', 1], ['YOSEMITE', 'AVE', 1], ['GILMAN', 'AVE', 1], ['PAUL', 'AVE', 1],
  ['PERSIA', 'AVE', 2], ['RUSSIA', 'AVE', 2], ['FRANCE', 'AVE', 1], ['ITALY', 'AVE', 1],
  ['LONDON', 'ST', 2], ['PARIS', 'ST', 2], ['LISBON', 'ST', 2], ['MADRID', 'ST', 2],
  ['EXCELSIOR', 'AVE', 1], ['BRAZIL', 'ST', 1], ['MOSCOW', 'ST', 1], ['VIENNA', 'ST', 1],
  ['ATHENS', 'ST', 1], ['NAPLES', 'ST', 1], ['EDINBURGH', 'ST', 1], ['DUBLIN', 'ST', 1],
  ['GIRARD', 'ST', 1], ['GOETTINGEN', 'ST', 1], ['HOLYOKE', 'ST', 1], ['BOWDOIN', 'ST', 1],
  ['DARTMOUTH', 'ST', 1], ['COLBY', 'ST', 1], ['UNIVERSITY', 'ST', 1], ['CAMBRIDGE', 'ST', 1],
  ['OXFORD', 'ST', 1], ['HARVARD', 'ST', 1], ['FELTON', 'ST', 1], ['BURROWS', 'ST', 1],
  ['BACON', 'ST', 1], ['WOOLSEY', 'ST', 1], ['CRESCENT', 'AVE', 1], ['CORTLAND', 'AVE', 2],
  ['ANDOVER', 'ST', 1], ['MOULTRIE', 'ST', 1], ['ELLSWORTH', 'ST', 1], ['HAIGHT', 'ST', 3],
  ['PAGE', 'ST', 3], ['OAK', 'ST', 3], ['FELL', 'ST', 3], ['HAYES', 'ST', 3], ['GROVE', 'ST', 3],
  ['MCALLISTER', 'ST', 3], ['GOLDEN GATE', 'AVE', 3], ['EDDY', 'ST', 3], ['ELLIS', 'ST', 2],
  ["O'FARRELL", 'ST', 2], ['GEARY', 'ST', 1], ['POLK', 'ST', 3], ['LARKIN', 'ST', 3],
  ['LEAVENWORTH', 'ST', 3], ['JONES', 'ST', 3], ['TAYLOR', 'ST', 3], ['POWELL', 'ST', 3],
  ['STOCKTON', 'ST', 3], ['GRANT', 'AVE', 3], ['KEARNY', 'ST', 2], ['MONTGOMERY', 'ST', 2],
  ['SANSOME', 'ST', 1], ['BATTERY', 'ST', 1], ['FRONT', 'ST', 1], ['DAVIS', 'ST', 1],
  ['MARKET', 'ST', 3], ['BROADWAY', null, 3], ['VALLEJO', 'ST', 3], ['GREEN', 'ST', 3],
  ['UNION', 'ST', 3], ['FILBERT', 'ST', 3], ['LOMBARD', 'ST', 3], ['BAY', 'ST', 2],
  ['NORTH POINT', 'ST', 2], ['FRANCISCO', 'ST', 2], ['DIVISADERO', 'ST', 3], ['FILLMORE', 'ST', 3],
  ['STEINER', 'ST', 3], ['PIERCE', 'ST', 3], ['SCOTT', 'ST', 3], ['BAKER', 'ST', 2],
  ['BRODERICK', 'ST', 2], ['LAGUNA', 'ST', 3], ['OCTAVIA', 'ST', 2], ['GOUGH', 'ST', 3],
  ['FRANKLIN', 'ST', 3], ['VAN NESS', 'AVE', 3], ['LINCOLN', 'WAY', 2], ['PARNASSUS', 'AVE', 2],
  ['CARL', 'ST', 2], ['COLE', 'ST', 2], ['SHRADER', 'ST', 2], ['STANYAN', 'ST', 2],
  ['ASHBURY', 'ST', 2], ['MASONIC', 'AVE', 2], ['CENTRAL', 'AVE', 1], ['ARGUELLO', 'BLVD', 2],
  ['PRESIDIO', 'AVE', 1], ['WALLER', 'ST', 2], ['FREDERICK', 'ST', 2], ['DUBOCE', 'AVE', 1],
  ['CORBETT', 'AVE', 2], ['GRAND VIEW', 'AVE', 1], ['ALPINE', 'TER', 1], ['BUENA VISTA', 'TER', 1],
  ['MACONDRAY', 'LN', 1], ['ORANGE', 'ALY', 1], ['BALMY', 'ALY', 1], ['SAN JOSE', 'AVE', 2],
  ['SEA CLIFF', 'AVE', 1], ['SEAL ROCK', 'DR', 1], ['GREAT', 'HWY', 1], ['SKYLINE', 'BLVD', 1],
  ['JOHN F KENNEDY', 'DR', 1], ['MINNA', 'ST', 1], ['NATOMA', 'ST', 1], ['TEHAMA', 'ST', 1],
  ['CLEMENTINA', 'ST', 1], ['JESSIE', 'ST', 1], ['SHOTWELL', 'ST', 2], ['CAPP', 'ST', 1],
  ['HARRIET', 'ST', 1], ['RUSS', 'ST', 1], ['VALLEY', 'ST', 1], ['JERSEY', 'ST', 1],
  ['ELIZABETH', 'ST', 1], ['CLIPPER', 'ST', 1], ['FAIR OAKS', 'ST', 1], ['CYPRESS', 'ST', 1],
  ['BRANNAN', 'ST', 2], ['TOWNSEND', 'ST', 2], ['BLUXOME', 'ST', 1], ['DE HARO', 'ST', 1],
  ['PLYMOUTH', 'AVE', 1], ['ASHTON', 'AVE', 1], ['HOLLOWAY', 'AVE', 1], ['HOLLISTER', 'AVE', 1],
  ['MANSELL', 'ST', 1], ['CHARTER OAK', 'AVE', 1], ['CAYUGA', 'AVE', 1], ['RIDGEWOOD', 'AVE', 1],
];

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}TH`;
  switch (n % 10) {
    case 1: return `${n}ST`;
    case 2: return `${n}ND`;
    case 3: return `${n}RD`;
    default: return `${n}TH`;
  }
}

const STREETS = weightedTable<readonly [string, string | null]>([
  ...NAMED_STREETS.map(([name, type, weight]) => [[name, type], weight] as const),
  // The Richmond and the Sunset: numbered avenues, many lots each.
  ...Array.from({ length: 47 }, (_, i) => [[ordinal(i + 2), 'AVE'], 3] as const),
  // The Mission, SoMa, Potrero, Dogpatch: numbered streets.
  ...Array.from({ length: 29 }, (_, i) => [[ordinal(i + 1), 'ST'], 2] as const),
]);

// MAPBLKLOTs that the EXACT group names, weighted like their counts in citylots2 (a map lot
// that was split into condominiums is the MAPBLKLOT of every one of its units).
const CONDO_MAP_LOTS = weightedTable([
  ['1430022', 1],
  ['2607117', 101],
  ['2607218', 35],
  ['3745012', 655],
] as const);

// Exact coordinates named by the COMPLEX_ARRAYS and NUMERIC groups.
const PLANTED_X = -122.42916360922355;
const PLANTED_MULTIPOLYGON_Y = 37.729900216217324;

// The city's bounding box, roughly (Treasure Island and the Farallones left out).
const X_MIN = -122.5138;
const X_MAX = -122.357;
const Y_MIN = 37.708;
const Y_MAX = 37.8325;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function blockNumber(rng: Random): string {
  const block = pad(rng.int(1, 7_650), 4);
  // A few blocks were split and carry a letter: 3723A, 0016B.
  return rng.chance(0.03) ? block + rng.pick(['A', 'B', 'C', 'D']) : block;
}

function lotNumber(rng: Random): string {
  return pad(rng.int(1, rng.chance(0.9) ? 60 : 300), 3);
}

function properties(rng: Random): CitylotProperties {
  if (rng.chance(0.0005)) {
    // A vacated street: no block, no lot, no address.
    return {
      MAPBLKLOT: 'VACSTWIL', BLKLOT: 'VACSTWIL', BLOCK_NUM: null, LOT_NUM: null,
      FROM_ST: null, TO_ST: null, STREET: null, ST_TYPE: null, ODD_EVEN: null,
    };
  }
  let block = blockNumber(rng);
  let lot = lotNumber(rng);
  let mapLot = block + lot;
  if (rng.chance(0.004)) {
    mapLot = rng.weighted(CONDO_MAP_LOTS);
    block = mapLot.slice(0, 4);
    lot = pad(rng.int(1, 300), 3);
  } else if (rng.chance(0.12)) {
    // A condominium unit: its map lot is another lot of the same block.
    mapLot = block + lotNumber(rng);
  }
  const base = { MAPBLKLOT: mapLot, BLKLOT: block + lot, BLOCK_NUM: block, LOT_NUM: lot };
  if (rng.chance(0.005)) {
    // Parcels without a street address (parks, rights of way, ...).
    return { ...base, FROM_ST: null, TO_ST: null, STREET: null, ST_TYPE: null, ODD_EVEN: null };
  }
  const [street, streetType] = rng.weighted(STREETS);
  const from = rng.chance(0.03) ? 0 : rng.int(1, 48) * 100 + rng.int(0, 99);
  const to = from === 0 || rng.chance(0.7) ? from : from + 2 * rng.int(1, 20);
  return {
    ...base,
    FROM_ST: String(from),
    TO_ST: String(to),
    STREET: street,
    ST_TYPE: streetType,
    ODD_EVEN: from % 2 === 0 ? 'E' : 'O',
  };
}

/** A closed ring of `corners` vertices (plus the closing copy of the first) around (cx, cy). */
function ring(rng: Random, cx: number, cy: number, corners: number): Vertex[] {
  const radius = rng.between(0.00005, 0.0003);
  const turn = rng.between(0, 2 * Math.PI);
  const vertices: Vertex[] = [];
  for (let i = 0; i < corners; i++) {
    const angle = turn + (2 * Math.PI * (i + rng.between(-0.3, 0.3))) / corners;
    const r = radius * rng.between(0.7, 1.3);
    vertices.push({ x: cx + r * Math.cos(angle), y: cy + r * 0.8 * Math.sin(angle), z: 0 });
  }
  const first = vertices[0];
  if (first !== undefined) vertices.push({ ...first });
  return vertices;
}

function geometry(rng: Random): CitylotGeometry {
  const cx = rng.between(X_MIN, X_MAX);
  const cy = rng.between(Y_MIN, Y_MAX);
  if (rng.chance(0.01)) {
    const polygons = Array.from({ length: rng.int(2, 3) }, () => [
      ring(rng, cx + rng.between(-0.001, 0.001), cy + rng.between(-0.001, 0.001), rng.int(3, 6)),
    ]);
    if (rng.chance(0.1)) {
      const vertex = polygons[polygons.length - 1]?.[0]?.[1];
      if (vertex !== undefined) vertex.y = PLANTED_MULTIPOLYGON_Y;
    }
    const first = polygons[0]?.[0]?.[0] ?? { x: cx, y: cy, z: 0 };
    return { type: 'MultiPolygon', coordinates: polygons, firstCoordinates: { ...first } };
  }
  const outline = ring(rng, cx, cy, rng.int(4, 16));
  const plant = rng.float();
  if (plant < 0.002) {
    // The first vertex sits exactly on the x that COMPLEX_ARRAYS and NUMERIC name.
    const first = outline[0];
    const closing = outline[outline.length - 1];
    if (first !== undefined && closing !== undefined) first.x = closing.x = PLANTED_X;
  } else if (plant < 0.004) {
    // Another vertex does: only COMPLEX_ARRAYS (any vertex) sees it.
    const inner = outline[Math.min(2, outline.length - 2)];
    if (inner !== undefined) inner.x = PLANTED_X;
  }
  const first = outline[0] ?? { x: cx, y: cy, z: 0 };
  return { type: 'Polygon', coordinates: [outline], firstCoordinates: { ...first } };
}

/** One synthetic citylot drawn from `rng`. */
export function citylot(rng: Random): Citylot {
  return { type: 'Feature', properties: properties(rng), geometry: geometry(rng) };
}

/** `count` synthetic citylots as compact JSON texts; the same seed gives the same texts. */
export function generateCitylots(count: number, seed: number = DEFAULT_SEED): string[] {
  const rng = new Random(seed);
  const texts: string[] = [];
  for (let i = 0; i < count; i++) texts.push(JSON.stringify(citylot(rng)));
  return texts;
}
