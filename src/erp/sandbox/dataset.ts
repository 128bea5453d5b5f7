import { bankBarcode, bankLineFromBarcode } from "../boleto.ts";
import { cnpjCheckDigits, cpfCheckDigits } from "../../core/br-documents.ts";
import type { ErpPlan } from "../model.ts";
import { buildStaticPix } from "../pix.ts";

/**
 * The sandbox ISP: "Fibra Sandbox Telecom", a small fibre provider in Campinas (SP) with a few
 * hundred customers, made deterministically from the tenant id so a tenant always sees the same
 * people. Everything checks like the real thing: CPFs and CNPJs have their check digits, invoices
 * carry a valid linha digitável (Itaú layout) and a PIX copia e cola with its CRC.
 *
 * Who is who follows the customer's index `i`, so tests and demos can find each case:
 * - `i % 10 === 3`: blocked for two unpaid invoices, trust unlock available;
 * - `i % 40 === 13`: blocked, and the trust unlock of this month already used;
 * - `i % 10 === 7`: paid up but offline (an open technical ticket about it);
 * - `i % 20 === 9`: one invoice overdue, still active; `i % 20 === 19`: overdue and reduced;
 * - `i % 50 === 27`: cancelled; `i % 30 === 21`: two contracts (a second address);
 * - `i % 12 === 11`: a company (CNPJ); everyone else a person (CPF).
 */

export const SANDBOX_CUSTOMERS = 240;
export const SANDBOX_ISP = {
  name: "Fibra Sandbox Telecom",
  city: "Campinas",
  cnpj: "",
};
// The ISP's own CNPJ (its PIX key), built with its check digits like every document here.
SANDBOX_ISP.cnpj = `112223330001${cnpjCheckDigits("112223330001")}`;

export const SANDBOX_PLANS: ErpPlan[] = [
  plan("101", "Fibra 100 Mega", 100, 50, 7990, "fibra"),
  plan("102", "Fibra 300 Mega", 300, 150, 9990, "fibra"),
  plan("103", "Fibra 500 Mega", 500, 250, 11990, "fibra"),
  plan("104", "Fibra 1 Giga", 1000, 500, 14990, "fibra"),
  plan("105", "Rádio 20 Mega", 20, 5, 6990, "radio"),
  plan("106", "Empresarial 600 Mega + IP fixo", 600, 300, 24990, "fibra"),
  { ...plan("100", "Fibra 50 Mega", 50, 25, 6990, "fibra"), active: false },
];

function plan(id: string, name: string, down: number, up: number, cents: number, tech: string): ErpPlan {
  return {
    id,
    name,
    download_mbps: down,
    upload_mbps: up,
    price_cents: cents,
    technology: tech,
    active: true,
  };
}

const FIRST_F = [
  "Maria",
  "Ana",
  "Juliana",
  "Fernanda",
  "Patrícia",
  "Aline",
  "Camila",
  "Larissa",
  "Beatriz",
  "Gabriela",
  "Luciana",
  "Renata",
  "Vanessa",
  "Cláudia",
  "Sônia",
  "Tatiane",
];
const FIRST_M = [
  "José",
  "João",
  "Antônio",
  "Francisco",
  "Carlos",
  "Paulo",
  "Pedro",
  "Lucas",
  "Marcos",
  "Rafael",
  "Luiz",
  "Gabriel",
  "Rodrigo",
  "Eduardo",
  "Felipe",
  "Thiago",
];
const SURNAMES = [
  "Silva",
  "Santos",
  "Oliveira",
  "Souza",
  "Rodrigues",
  "Ferreira",
  "Alves",
  "Pereira",
  "Lima",
  "Gomes",
  "Costa",
  "Ribeiro",
  "Martins",
  "Carvalho",
  "Almeida",
  "Lopes",
  "Soares",
  "Fernandes",
  "Vieira",
  "Barbosa",
  "Rocha",
  "Dias",
  "Nascimento",
  "Moreira",
];
const COMPANIES = [
  "Padaria Pão Dourado Ltda",
  "Mercadinho Boa Vista ME",
  "Oficina Mecânica Irmãos Lopes",
  "Clínica Sorriso Odontologia Ltda",
  "Restaurante Sabor Caseiro",
  "Escritório Contábil Almeida & Filhos",
  "Pet Shop Amigo Fiel ME",
  "Academia Corpo em Forma Ltda",
  "Farmácia Vida Saudável",
  "Auto Escola Direção Certa",
];
const STREETS = [
  "Rua Barão de Jaguara",
  "Avenida Norte-Sul",
  "Rua José Paulino",
  "Avenida Francisco Glicério",
  "Rua Conceição",
  "Rua Coronel Quirino",
  "Avenida Orosimbo Maia",
  "Rua Maria Monteiro",
  "Rua Buarque de Macedo",
  "Avenida Brasil",
  "Rua Sacramento",
  "Rua Dr. Emílio Ribas",
  "Avenida Albino J. B. de Oliveira",
  "Rua Luzitana",
];
const DISTRICTS = [
  "Cambuí",
  "Taquaral",
  "Barão Geraldo",
  "Centro",
  "Castelo",
  "Jardim Proença",
  "Vila Industrial",
  "Nova Campinas",
  "Guanabara",
  "Bosque",
  "Botafogo",
  "Swift",
  "Jardim Chapadão",
  "Parque Prado",
];
const DUE_DAYS = [5, 10, 15, 20, 25];

/** mulberry32: small, fast and good enough for fake people. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seedOf(tenantId: string): number {
  let h = 2166136261;
  for (const ch of tenantId) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

/**
 * Six digits that start every id of this tenant's sandbox, so one tenant's customer, invoice or
 * ticket id is (almost surely) unknown to another's: a foreign id is a 404, as in a real ERP.
 */
export function idPrefix(tenantId: string): string {
  return String(100_000 + (seedOf(tenantId) % 900_000));
}

export interface SandboxCustomerRow {
  id: string;
  document: string;
  name: string;
  email: string | null;
  phones: string[];
  address: Record<string, string | null>;
  cancelled: boolean;
}

export interface SandboxContractRow {
  id: string;
  customerId: string;
  planId: string;
  status: "active" | "blocked" | "reduced" | "cancelled";
  login: string;
  online: boolean;
  since: Date;
  ip: string | null;
  mac: string;
  equipment: string;
  unlockedAt: Date | null;
  unlockedUntil: string | null;
}

export interface SandboxInvoiceRow {
  id: string;
  customerId: string;
  contractId: string;
  description: string;
  dueDate: string;
  amountCents: number;
  status: "open" | "paid" | "cancelled";
  paidAt: Date | null;
  linhaDigitavel: string;
  barcode: string;
  pix: string;
}

export interface SandboxTicketRow {
  id: string;
  protocol: string;
  customerId: string;
  contractId: string | null;
  type: string;
  subject: string;
  status: string;
  messages: { at: string; author: string | null; text: string }[];
  createdAt: Date;
  updatedAt: Date;
}

export interface SandboxDataset {
  customers: SandboxCustomerRow[];
  contracts: SandboxContractRow[];
  invoices: SandboxInvoiceRow[];
  tickets: SandboxTicketRow[];
}

/** São Paulo has had no daylight saving since 2019: local dates are UTC−3. */
export const SP_OFFSET_MS = 3 * 3_600_000;
export const localDate = (d: Date): string => new Date(d.getTime() - SP_OFFSET_MS).toISOString().slice(0, 10);

function addMonths(year: number, month: number, delta: number): [number, number] {
  const m = month - 1 + delta;
  return [year + Math.floor(m / 12), ((m % 12) + 12) % 12 + 1];
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");
const ascii = (s: string) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();

/** A mod-10 DAC, as Itaú puts after the nosso número and the account. */
function dac10(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const p = Number(digits[digits.length - 1 - i]) * (i % 2 === 0 ? 2 : 1);
    sum += p > 9 ? p - 9 : p;
  }
  return (10 - (sum % 10)) % 10;
}

export function generateDataset(tenantId: string, now: Date): SandboxDataset {
  const random = rng(seedOf(tenantId));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const prefix = idPrefix(tenantId);
  const today = localDate(now);
  const [year, month] = today.split("-").map(Number);
  const customers: SandboxCustomerRow[] = [];
  const contracts: SandboxContractRow[] = [];
  const invoices: SandboxInvoiceRow[] = [];
  const tickets: SandboxTicketRow[] = [];
  let invoiceSeq = 0;
  let ticketSeq = 0;
  const usedDocs = new Set<string>();

  const newTicket = (
    c: SandboxCustomerRow,
    contractId: string | null,
    type: string,
    subject: string,
    status: string,
    lines: string[],
    daysAgo: number,
  ) => {
    ticketSeq++;
    const created = new Date(now.getTime() - daysAgo * 86_400_000);
    const protocol = `${created.toISOString().slice(0, 10).replace(/-/g, "")}${pad(ticketSeq, 6)}`;
    tickets.push({
      id: `${prefix}${pad(ticketSeq, 5)}`,
      protocol,
      customerId: c.id,
      contractId,
      type,
      subject,
      status,
      messages: lines.map((text, k) => ({
        at: new Date(created.getTime() + k * 3_600_000).toISOString(),
        author: k === 0 ? c.name : "Suporte Fibra Sandbox",
        text,
      })),
      createdAt: created,
      updatedAt: new Date(created.getTime() + (lines.length - 1) * 3_600_000),
    });
  };

  for (let i = 0; i < SANDBOX_CUSTOMERS; i++) {
    const company = i % 12 === 11;
    let document: string;
    do {
      if (company) {
        const base = `${pad(Math.floor(random() * 99_999_999), 8)}0001`;
        document = base + cnpjCheckDigits(base);
      } else {
        const base = pad(Math.floor(random() * 999_999_999), 9);
        document = base + cpfCheckDigits(base);
      }
    } while (usedDocs.has(document) || /^(\d)\1+$/.test(document));
    usedDocs.add(document);
    const female = random() < 0.5;
    const first = pick(female ? FIRST_F : FIRST_M);
    const last1 = pick(SURNAMES);
    let last2 = pick(SURNAMES);
    while (last2 === last1) last2 = pick(SURNAMES);
    const name = company ? COMPANIES[(i / 12 | 0) % COMPANIES.length] : `${first} ${last1} ${last2}`;
    // Mobiles of Campinas (19) 9xxxx-xxxx; never ending 0000 (the sandbox WhatsApp's "not on WhatsApp").
    const mobile = `+55199${pad(60_000_000 + Math.floor(random() * 39_999_998) + 1, 8)}`;
    const phones = random() < 0.2 ? [mobile, `+551932${pad(Math.floor(random() * 999_999) + 100_000, 6)}`] : [
      mobile,
    ];
    const emailUser = company ? ascii(name.split(" ")[0] + name.split(" ")[1]) : ascii(`${first}.${last1}`);
    const customer: SandboxCustomerRow = {
      id: `${prefix}${pad(i + 1, 4)}`,
      document,
      name,
      email: random() < 0.85 ? `${emailUser}${i}@${company ? "empresa.com.br" : "email.com.br"}` : null,
      phones,
      address: {
        street: pick(STREETS),
        number: String(10 + Math.floor(random() * 1990)),
        complement: random() < 0.3 ? `Apto ${10 + Math.floor(random() * 190)}` : null,
        district: pick(DISTRICTS),
        city: "Campinas",
        state: "SP",
        zip: `130${pad(Math.floor(random() * 99), 2)}-${pad(Math.floor(random() * 999), 3)}`,
      },
      cancelled: i % 50 === 27,
    };
    customers.push(customer);

    const blocked = i % 10 === 3 || i % 40 === 13;
    const unlockUsed = i % 40 === 13;
    const offline = i % 10 === 7;
    const overdueOne = i % 20 === 9 || i % 20 === 19;
    const reduced = i % 20 === 19;
    const nContracts = i % 30 === 21 ? 2 : 1;
    const dueDay = DUE_DAYS[i % DUE_DAYS.length];

    for (let k = 0; k < nContracts; k++) {
      const planRef = company
        ? SANDBOX_PLANS[5]
        : k === 1
        ? SANDBOX_PLANS[0]
        : SANDBOX_PLANS[[0, 1, 1, 2, 2, 2, 3, 4][Math.floor(random() * 8)]];
      const contractId = `${prefix}${pad(i + 1, 4)}${k + 1}`;
      const status = customer.cancelled ? "cancelled" : blocked ? "blocked" : reduced ? "reduced" : "active";
      const online = status !== "cancelled" && !blocked && !offline && random() > 0.04;
      const hoursAgo = online ? 2 + Math.floor(random() * 400) : 1 + Math.floor(random() * 40);
      contracts.push({
        id: contractId,
        customerId: customer.id,
        planId: planRef.id,
        status,
        login: `${ascii(company ? name.split(" ")[0] : first)}.${ascii(last1)}${i}${k ? "b" : ""}`,
        online,
        since: new Date(now.getTime() - hoursAgo * 3_600_000),
        ip: online ? `100.${64 + (i % 60)}.${(i * 7) % 255}.${10 + k + (i % 200)}` : null,
        mac: Array.from({ length: 6 }, (_, b) => (b === 0 ? 0x70 : Math.floor(random() * 256)))
          .map((byte) => byte.toString(16).padStart(2, "0")).join(":").toUpperCase(),
        equipment: `OLT-${["CAMBUI", "TAQUARAL", "BARAO"][i % 3]}-01 PON 1/${1 + (i % 16)}`,
        unlockedAt: unlockUsed ? new Date(now.getTime() - 12 * 86_400_000) : null,
        unlockedUntil: unlockUsed ? localDate(new Date(now.getTime() - 9 * 86_400_000)) : null,
      });

      // Six monthly invoices up to this month's; a contract's history follows its status.
      const unpaidPast = blocked ? 2 : overdueOne ? 1 : 0;
      const months = customer.cancelled ? [-5, -4, -3] : [-5, -4, -3, -2, -1, 0];
      const dueDates = months.map((delta) => {
        const [y, m] = addMonths(year, month, delta);
        return `${y}-${pad(m, 2)}-${pad(dueDay, 2)}`;
      });
      const past = dueDates.filter((d) => d < today);
      const unpaid = new Set(past.slice(past.length - unpaidPast));
      for (const dueDate of dueDates) {
        invoiceSeq++;
        const id = `${prefix}${pad(invoiceSeq, 6)}`;
        const isPaid = dueDate < today && !unpaid.has(dueDate);
        const nossoNumero = pad(invoiceSeq + Number(prefix.slice(-3)) * 10_000, 8);
        const carteira = "109";
        const agencia = "1530";
        const conta = "06257";
        const freeField = `${carteira}${nossoNumero}${
          dac10(agencia + conta + carteira + nossoNumero)
        }${agencia}${conta}${dac10(agencia + conta)}000`;
        const barcode = bankBarcode({ bank: "341", dueDate, amountCents: planRef.price_cents!, freeField });
        const [y, m] = dueDate.split("-");
        invoices.push({
          id,
          customerId: customer.id,
          contractId,
          description: `Mensalidade ${planRef.name} - ${m}/${y}`,
          dueDate,
          amountCents: planRef.price_cents!,
          status: isPaid ? "paid" : "open",
          paidAt: isPaid
            ? new Date(Date.parse(`${dueDate}T12:00:00-03:00`) - Math.floor(random() * 4) * 86_400_000)
            : null,
          linhaDigitavel: bankLineFromBarcode(barcode),
          barcode,
          pix: buildStaticPix({
            key: SANDBOX_ISP.cnpj,
            merchantName: SANDBOX_ISP.name,
            merchantCity: SANDBOX_ISP.city,
            amountCents: planRef.price_cents!,
            txid: `FAT${id}`,
          }),
        });
      }
    }

    const firstContract = `${prefix}${pad(i + 1, 4)}1`;
    if (offline) {
      newTicket(customer, firstContract, "technical", "Sem conexão", "open", [
        "Minha internet caiu desde ontem à noite, a luz LOS da ONU está vermelha.",
        "Verificamos sinal óptico baixo na sua região; visita técnica em agendamento.",
      ], 1);
    }
    if (i % 8 === 2) {
      newTicket(customer, firstContract, "technical", "Lentidão no Wi-Fi", "resolved", [
        "A internet fica lenta à noite no quarto.",
        "Trocamos o canal do Wi-Fi para 5 GHz; teste de velocidade em 312 Mbps.",
      ], 20 + (i % 40));
    }
    if (i % 16 === 5) {
      newTicket(customer, firstContract, "financial", "Segunda via", "closed", [
        "Preciso da segunda via do boleto.",
        "Segunda via enviada por e-mail.",
      ], 35 + (i % 20));
    }
  }
  return { customers, contracts, invoices, tickets };
}
