import { strict as assert } from "node:assert";
import {
  bankBarcode,
  bankLineFromBarcode,
  checkLine,
  dueFactor,
  formatBankLine,
} from "../../src/erp/boleto.ts";
import {
  documentOf,
  formatDocument,
  isValidCnpj,
  isValidCpf,
  maskDocument,
  maskDocumentsIn,
  parseDocument,
} from "../../src/core/br-documents.ts";
import { buildStaticPix, checkPix, crc16 } from "../../src/erp/pix.ts";

Deno.test("CPF and CNPJ: check digits, punctuation, alphanumeric CNPJ", async (t) => {
  await t.step("valid documents in any punctuation", () => {
    assert.deepEqual(parseDocument("529.982.247-25"), {
      ok: true,
      document: { type: "cpf", value: "52998224725" },
    });
    assert.deepEqual(parseDocument(" 52998224725 "), {
      ok: true,
      document: { type: "cpf", value: "52998224725" },
    });
    assert.deepEqual(parseDocument("11.222.333/0001-81"), {
      ok: true,
      document: { type: "cnpj", value: "11222333000181" },
    });
    // The Receita Federal's own example of an alphanumeric CNPJ (IN RFB 2.229/2024).
    assert.deepEqual(parseDocument("12.ABC.345/01DE-35"), {
      ok: true,
      document: { type: "cnpj", value: "12ABC34501DE35" },
    });
  });
  await t.step("a wrong check digit, repeated digits or a wrong length are refused with a reason", () => {
    for (
      const bad of [
        "529.982.247-26",
        "111.111.111-11",
        "11.222.333/0001-82",
        "12ABC34501DE36",
        "1234",
        "5299822472x",
      ]
    ) {
      const r = parseDocument(bad);
      assert.equal(r.ok, false, bad);
      assert.ok(!r.ok && r.reason.length > 5);
    }
    assert.equal(isValidCpf("00000000000"), false);
    assert.equal(isValidCnpj("00000000000000"), false);
  });
  await t.step("formatting and masking: a CPF never shown whole, a CNPJ is public", () => {
    const cpf = { type: "cpf" as const, value: "52998224725" };
    assert.equal(formatDocument(cpf), "529.982.247-25");
    assert.equal(maskDocument(cpf), "***.982.247-**");
    assert.equal(maskDocument({ type: "cnpj", value: "11222333000181" }), "11.222.333/0001-81");
    assert.equal(
      maskDocumentsIn("qtype=cliente.cnpj_cpf&query=529.982.247-25"),
      "qtype=cliente.cnpj_cpf&query=***.982.247-**",
    );
    assert.equal(maskDocumentsIn("doc=52998224725&id=12345678901"), "doc=***.982.247-**&id=12345678901");
  });
  await t.step("documents read from ERPs: masked, or numbers that lost their leading zero", () => {
    assert.deepEqual(documentOf("036.668.113-37"), { type: "cpf", value: "03666811337" });
    assert.deepEqual(documentOf(3666811337), { type: "cpf", value: "03666811337" });
    assert.equal(documentOf("None"), null);
  });
});

Deno.test("boletos: linha digitável and bar code check digits", async (t) => {
  await t.step(
    "a real line (HubSoft's documented example) checks, and its due factor is 2017-11-09's",
    () => {
      const r = checkLine("75691.31662 01006.726101 27210.000017 7 73380000001000");
      assert.ok(r.ok);
      assert.equal(r.kind, "bank");
      assert.equal(r.barcode, "75697733800000010001316601006726102721000001");
      assert.equal(dueFactor("2017-11-09"), "7338");
    },
  );
  await t.step("the factor restarted at 1000 on 2025-02-22", () => {
    assert.equal(dueFactor("2025-02-21"), "9999");
    assert.equal(dueFactor("2025-02-22"), "1000");
  });
  await t.step("any single changed digit is caught", () => {
    const line = "75691316620100672610127210000017773380000001000";
    for (let i = 0; i < line.length; i++) {
      const mutated = line.slice(0, i) + String((Number(line[i]) + 1) % 10) + line.slice(i + 1);
      assert.equal(checkLine(mutated).ok, false, `digit ${i}`);
    }
  });
  await t.step("lines we build check, and print as banks do", () => {
    const barcode = bankBarcode({
      bank: "341",
      dueDate: "2026-12-10",
      amountCents: 11990,
      freeField: "1091234567812345678901230",
    });
    const line = bankLineFromBarcode(barcode);
    const r = checkLine(formatBankLine(line));
    assert.ok(r.ok);
    assert.equal(r.barcode, barcode);
    assert.match(formatBankLine(line), /^\d{5}\.\d{5} \d{5}\.\d{6} \d{5}\.\d{6} \d \d{14}$/);
    assert.ok(line.endsWith("0000011990"));
  });
});

Deno.test("PIX copia e cola: EMV fields and CRC16", async (t) => {
  await t.step("the Banco Central's example payload checks", () => {
    const bcb =
      "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";
    const r = checkPix(bcb);
    assert.ok(r.ok);
    assert.equal(r.fields.get("59"), "Fulano de Tal");
    assert.equal(crc16(bcb.slice(0, -4)), "1D3D");
    assert.equal(checkPix(bcb.replace("Fulano", "Fulana")).ok, false);
  });
  await t.step("a static code with amount and txid, names made plain ASCII", () => {
    const code = buildStaticPix({
      key: "11222333000181",
      merchantName: "Fibra Rápida Telecomunicações Ltda",
      merchantCity: "São José dos Campos",
      amountCents: 11990,
      txid: "FAT-123/456",
    });
    const r = checkPix(code);
    assert.ok(r.ok);
    assert.equal(r.amountCents, 11990);
    assert.equal(r.fields.get("59"), "FIBRA RAPIDA TELECOMUNICA");
    assert.equal(r.fields.get("60"), "SAO JOSE DOS CA");
    assert.equal(r.fields.get("62"), "0509FAT123456");
    assert.ok(r.fields.get("26")!.includes("br.gov.bcb.pix0114" + "11222333000181"));
  });
});
