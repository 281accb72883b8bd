import Testing

@testable import SluiceCore

private let card = PaymentCardDetector()
private let ssn = SSNDetector()
private let iban = IBANDetector()

@Suite("Financial detectors")
struct FinancialDetectorTests {
  // MARK: - Cards

  @Test(
    "card numbers",
    arguments: [
      ("payment declined for card 4111 1111 1111 1111", ["4111 1111 1111 1111"]),
      ("4111111111111111", ["4111111111111111"]),
      ("pan=4111-1111-1111-1111;", ["4111-1111-1111-1111"]),
      (#"{"pan":"5555555555554444"}"#, ["5555555555554444"]),
      ("amex 3782 822463 10005 ok", ["3782 822463 10005"]),
      ("amex 3714-496353-98431", ["3714-496353-98431"]),
      ("diners 3056 930902 5904", ["3056 930902 5904"]),
      ("diners 30569309025904.", ["30569309025904"]),
      ("mc2 2223003122003222 jcb 3530111333300000", ["2223003122003222", "3530111333300000"]),
      ("discover 6011111111111117, unionpay 6200000000000005", ["6011111111111117", "6200000000000005"]),
      ("visa19 4000 0000 0000 0000 006", ["4000 0000 0000 0000 006"]),
      ("cards 4111111111111111,5500000000000004", ["4111111111111111", "5500000000000004"]),
      ("(4242424242424242)", ["4242424242424242"]),
      ("cc=4242424242424242&x=1", ["4242424242424242"]),
      ("café 4242424242424242 😀", ["4242424242424242"]),
      ("0 4111 1111 1111 1111", ["4111 1111 1111 1111"]),
      ("card 4111 1111 1111 1111", ["4111 1111 1111 1111"]),
      ("4111 1111 1111 1111 12/28", ["4111 1111 1111 1111"]),
      ("maestro 6759649826438453", ["6759649826438453"]),
      // Mixed separators and dots, one byte per gap.
      ("4111 1111-1111.1111", ["4111 1111-1111.1111"]),
      ("5500-0000 0000-0004", ["5500-0000 0000-0004"]),
      ("4111.1111.1111.1111", ["4111.1111.1111.1111"]),
      ("4111-1111 1111-1111", ["4111-1111 1111-1111"]),
      ("card 4111.1111.1111.1111.", ["4111.1111.1111.1111"]),
      ("amex 3400.000000.00009 ok", ["3400.000000.00009"]),
      ("diners 3056.930902-5904", ["3056.930902-5904"]),
      ("visa19 4000.0000-0000 0000.006", ["4000.0000-0000 0000.006"]),
      ("discover 6011 0000-0000.0004, jcb 3530.1113.3330.0000", ["6011 0000-0000.0004", "3530.1113.3330.0000"]),
      ("cards 4111.1111.1111.1111,5500-0000.0000 0004", ["4111.1111.1111.1111", "5500-0000.0000 0004"]),
      ("4111.1111.1111.1111 12/28", ["4111.1111.1111.1111"]),
      // Tight punctuation around the number.
      ("card=4111111111111111;exp=12/28", ["4111111111111111"]),
      ("pan=4111-1111-1111-1111;cvv=***", ["4111-1111-1111-1111"]),
      ("pan=4111.1111-1111 1111;exp=12/28", ["4111.1111-1111 1111"]),
      ("cc:4111111111111111,", ["4111111111111111"]),
      ("[4111 1111 1111 1111]", ["4111 1111 1111 1111"]),
      ("(4111111111111111)", ["4111111111111111"]),
      ("|4111111111111111|", ["4111111111111111"]),
      (#""4111111111111111""#, ["4111111111111111"]),
      ("card_number=4111 1111 1111 1111&", ["4111 1111 1111 1111"]),
      ("{cc:5500.0000.0000.0004}", ["5500.0000.0000.0004"]),
      ("2026-11-23 4111 1111 1111 1111", ["4111 1111 1111 1111"]),
      ("2026-11-23 4111111111111111", ["4111111111111111"]),
    ])
  func cards(_ text: String, _ expected: [String]) {
    #expect(found(card, text) == expected)
  }

  @Test(
    "not card numbers",
    arguments: [
      "", "4", "4111111111111112", "4111 1111 1111 1112", "1234567812345670",  // no issuer, Luhn-valid
      "1763917531123456", "1763917531123456789", "order_4111111111111111", "4111111111111111x",
      "x4111111111111111", "41111111111111111111", "0.4111111111111111", "4111111111111111.5",
      "2026-4111111111111111", "4111111111111111-2", "+4111111111111111", "4111  1111  1111  1111",
      "1234 4111 1111 1111 1111", "payee VA84 5090 4551 7687 8673 247 not found",
      "4111-1111-1111-1111-1111", "4111 1111 1111 11",
      // Mixed and dotted separators: still exactly the groups, single bytes, Luhn and issuer.
      "4111.1111.1111.1111.2222", "4111.1111.1111.1111.5", "1.4111.1111.1111.1111", "4.1111.1111.1111",
      "4111.1111.1111", "4111.1111.1111.1111x", "4111 1111-1111.1112", "5500-0000 0000.0005",
      "4111--1111--1111--1111", "4111..1111..1111..1111", "4111 - 1111 - 1111 - 1111", "4111. 1111 1111 1111",
      "12.4111 1111-1111 1111", "2026-4111.1111.1111.1111", "ref 1234 4111-1111 1111-1111", "total 4111.11 EUR",
      "4111.111111.11111", "v4111.1111.1111.1111",
      // Other numbers in groups of four, timestamps, ids.
      "DE89 3704 0044 0532 0130 00", "GB82 WEST 1234 5698 7654 32", "iban=DE89 3704 0044 0532 0130 00;",
      "2026-11-23T17:05:31.123456Z", "1732381531123456", "ts=1732381531123456789;", "at 1732381531.123456",
      "f47ac10b-58cc-4372-a567-0e02b2c3d479", "41111111-1111-1111-1111-111111111111", "order_4111111111111111",
      "card_4111.1111.1111.1111", "+1 415.555.2671", "+44 20 7946 0958", "(415) 555-2671", "41111111111111110",
      "0.4111.1111.1111.1111",
      "490154203237518",  // IMEI: Luhn-valid, 15 digits
      "4222222222222",  // 13-digit Visa: left out (EAN-13 collisions)
      "5105 1051 0510 5101 not luhn", "3782 822463 10006",
      "٤١١١١١١١١١١١١١١١",  // Arabic-Indic digits are not ASCII digits
    ])
  func notCards(_ text: String) {
    #expect(found(card, text) == [])
  }

  @Test func cardKeepsLastFourDigits() {
    #expect(kept(card, "4111 1111 1111 1234") == "1234")
    #expect(kept(card, "3782-822463-10005") == "0005")
    #expect(kept(card, "4000 0000 0000 0000 006") == "0006")
    #expect(kept(card, "4111111111114321") == "4321")
    #expect(kept(card, "4111.1111-1111 4321") == "4321")
  }

  // MARK: - SSNs

  @Test(
    "social security numbers",
    arguments: [
      ("applicant SSN 536-22-8841 verified", ["536-22-8841"]),
      ("536-22-8841", ["536-22-8841"]),
      (#"{"ssn":"536228841"}"#, ["536228841"]),
      ("ssn=536228841&x=1", ["536228841"]),
      ("SSN: 536 22 8841", ["536 22 8841"]),
      ("social security number: 536228841", ["536228841"]),
      ("Social-Security #536228841", ["536228841"]),
      ("customerSsn=536228841", ["536228841"]),
      ("deps: 536-22-8841, 123-45-6789", ["536-22-8841", "123-45-6789"]),
      ("ssn:536-22-8841.", ["536-22-8841"]),
      ("(001-01-0001)", ["001-01-0001"]),
      ("899-99-9999 and 667-01-0001", ["899-99-9999", "667-01-0001"]),
    ])
  func ssns(_ text: String, _ expected: [String]) {
    #expect(found(ssn, text) == expected)
  }

  @Test(
    "not social security numbers",
    arguments: [
      "", "5", "536228841", "order 536228841", "000-12-3456", "666-12-3456", "900-12-3456", "999-99-9999",
      "123-00-4567", "123-45-0000", "078-05-1120", "219-09-9999", "ssn=078051120", "1-800-555-0199",
      "2026-11-23", "536 22 8841", "backoff 100 20 3000 ms", "ssn lookup disabled, using account 536228841",
      "ssn v2 536228841", "classname=536228841", "536-22-8841-01", "+536-22-8841", "12.536-22-8841",
      "build-536-22-8841", "536-22-8841x", "x536-22-8841", "536-22 8841", "536--22--8841", "ssn 1 536 22 8841",
      "ssn=5362288410", "ssn=53622884", "ssn 536-228-841", "536-22-88410", "ssn_536228841", "ssn 536228841ns",
    ])
  func notSSNs(_ text: String) {
    #expect(found(ssn, text) == [])
  }

  @Test func aMarkerIsNotAKeyword() {
    // Found by fuzzing: on a second pass the marker's rule name was the keyword for a bare number.
    #expect(found(ssn, #""[REDACTED:ssn]","536228841""#) == [])
    #expect(found(ssn, "[REDACTED:ssn] 536 22 8841") == [])
    #expect(found(ssn, "[HASH:ssn:abcdef] 536228841") == [])
    #expect(found(ssn, "[REDACTED:social_security] 536228841") == [])
    #expect(found(ssn, "[REDACTED:user-ssn] 536228841") == [])
    // A keyword of its own after a marker still counts.
    #expect(found(ssn, "[REDACTED:email] ssn 536228841") == ["536228841"])
  }

  @Test func ssnKeywordWindow() {
    // The keyword may end up to 16 bytes before the number, with no digit in between.
    #expect(found(ssn, "ssn" + String(repeating: " ", count: 16) + "536228841") == ["536228841"])
    #expect(found(ssn, "ssn" + String(repeating: " ", count: 17) + "536228841") == [])
    #expect(found(ssn, "ssn") == [])
    #expect(found(ssn, "SSN\u{A0}536228841") == ["536228841"])
  }

  @Test func ssnKeepsSerial() {
    #expect(kept(ssn, "536-22-8841") == "8841")
    #expect(kept(ssn, "536228841") == "8841")
    #expect(kept(ssn, "536 22 8841") == "8841")
  }

  // MARK: - IBANs

  @Test(
    "IBANs",
    arguments: [
      ("SEPA transfer to DE89370400440532013000 rejected", ["DE89370400440532013000"]),
      ("iban=DE89 3704 0044 0532 0130 00;", ["DE89 3704 0044 0532 0130 00"]),
      (#"{"iban":"GB82WEST12345698765432"}"#, ["GB82WEST12345698765432"]),
      ("FR14 2004 1010 0505 0001 3M02 606", ["FR14 2004 1010 0505 0001 3M02 606"]),
      ("NL91ABNA0417164300, BE68539007547034", ["NL91ABNA0417164300", "BE68539007547034"]),
      ("NO9386011117947", ["NO9386011117947"]),
      ("BE68 5390 0754 7034 1234", ["BE68 5390 0754 7034"]),
      ("(CH9300762011623852957)", ["CH9300762011623852957"]),
      ("IT60X0542811101000000123456.", ["IT60X0542811101000000123456"]),
      ("überweisung an DE89370400440532013000 ✓", ["DE89370400440532013000"]),
      ("LC55HEMM000100010012001200023015", ["LC55HEMM000100010012001200023015"]),
    ])
  func ibans(_ text: String, _ expected: [String]) {
    #expect(found(iban, text) == expected)
  }

  @Test(
    "not IBANs",
    arguments: [
      "", "D", "DE88370400440532013000", "DE89370400440532013001", "DE8937040044053201300", "DE893704004405320130000",
      "XDE89370400440532013000", "DE89370400440532013000X", "iban_DE89370400440532013000",
      "de89370400440532013000", "DE89-3704-0044-0532-0130-00", "DE89  3704  0044  0532  0130  00",
      "DE89 3704 0044 0532 0130", "DE89 37040044 0532013000", "US89370400440532013000", "DEUTDEFF500",
      "USt-IdNr. DE123456789", "ISIN DE0005140008", "DE12F00DBABE0123456789",
    ])
  func notIBANs(_ text: String) {
    #expect(found(iban, text) == [])
  }

  @Test func ibanChecksFormatNotOnlyChecksum() {
    // Mod-97-valid, right length, but a letter where Germany's BBAN has digits.
    #expect(found(iban, "DE26370X00440532013000") == [])
    #expect(found(iban, "DE15370400440532013000") == [])
  }

  @Test func ibanRegistry() {
    #expect(IBANDetector.registry.count >= 80)
    let lengths = Dictionary(uniqueKeysWithValues: IBANDetector.registry.map { ($0.country, $0.length) })
    #expect(lengths.count == IBANDetector.registry.count)
    let expected = [
      "DE": 22, "GB": 22, "FR": 27, "NL": 18, "ES": 24, "IT": 27, "BE": 16, "CH": 21, "AT": 20, "PL": 28, "SE": 24,
      "NO": 15, "DK": 18, "FI": 18, "IE": 22, "PT": 25, "LU": 20,
    ]
    for (country, length) in expected { #expect(lengths[country] == length, "\(country)") }
    // Building the format table checks every entry's BBAN format against its length.
    #expect(IBANDetector.formats.count == (IBANDetector.registry.count + 1) * IBANDetector.stride)
  }

  @Test func ibanKeepsCountryAndLastFour() {
    #expect(kept(iban, "DE89370400440532013000") == "DE-3000")
    #expect(kept(iban, "DE89 3704 0044 0532 0130 00") == "DE-3000")
    #expect(kept(iban, "FR14 2004 1010 0505 0001 3M02 606") == "FR-2606")
  }

  @Test func keptPartsAreNotMatchedAgain() {
    let detectors: [any Detector] = [card, ssn, iban]
    for text in ["1111", "8841", "DE-3000", "FR-2606", "[REDACTED:card:1111]", "[REDACTED:iban:DE-3000]"] {
      for d in detectors { #expect(found(d, text) == [], "\(d.name) on \(text)") }
    }
  }

  // MARK: - Candidate search

  /// The vectorised searches agree with byte-by-byte ones on every start position, for
  /// texts of every length up to 70 (so candidates fall on and across the 16-byte steps).
  @Test func numberScanMatchesNaiveSearch() {
    var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
    let alphabet = Array("0123456789DEGB x-_".utf8)
    for length in 0...70 {
      for _ in 0..<40 {
        var bytes: [UInt8] = []
        for _ in 0..<length {
          seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
          bytes.append(alphabet[Int(seed >> 33) % alphabet.count])
        }
        bytes.withUnsafeBufferPointer { b in
          let p = b.baseAddress ?? UnsafePointer(bitPattern: 1)!
          let n = b.count
          func naiveRun(_ from: Int, _ k: Int) -> Int {
            var i = from
            while i + k <= n {
              if (i..<(i + k)).allSatisfy({ DetectorBytes.isDigit(p[$0]) }) { return i }
              i += 1
            }
            return n
          }
          func naiveCountry(_ from: Int) -> Int {
            var i = from
            while i + 4 <= n {
              let upper = { (c: UInt8) in c >= 65 && c <= 90 }
              if upper(p[i]) && upper(p[i + 1]) && DetectorBytes.isDigit(p[i + 2]) && DetectorBytes.isDigit(p[i + 3]) {
                return i
              }
              i += 1
            }
            return n
          }
          for from in [0, 1, 7, 15, 16, 17] where from <= n {
            #expect(NumberScan.nextDigitRun(p, n, from: from, 3) == naiveRun(from, 3))
            #expect(NumberScan.nextDigitRun(p, n, from: from, 4) == naiveRun(from, 4))
            #expect(NumberScan.nextCountryAndCheck(p, n, from: from) == naiveCountry(from))
          }
        }
      }
    }
  }

  @Test func matchesAtEveryOffset() {
    // The same value at every offset after a run of filler, across the 16-byte steps.
    for pad in 0..<40 {
      let filler = String(repeating: "a", count: pad) + " "
      #expect(found(card, filler + "4111 1111 1111 1111") == ["4111 1111 1111 1111"], "pad \(pad)")
      #expect(found(card, filler + "4111111111111111.") == ["4111111111111111"], "pad \(pad)")
      #expect(found(ssn, filler + "536-22-8841") == ["536-22-8841"], "pad \(pad)")
      #expect(found(iban, filler + "DE89370400440532013000") == ["DE89370400440532013000"], "pad \(pad)")
      #expect(found(iban, filler + "DE89 3704 0044 0532 0130 00") == ["DE89 3704 0044 0532 0130 00"], "pad \(pad)")
    }
  }

  // MARK: - All together

  @Test func eachMatchIsWhereItBelongs() {
    let text =
      "user paid with 4111 1111 1111 1111 from DE89 3704 0044 0532 0130 00, ssn 536-22-8841 on 2026-11-23T17:05:31Z"
    #expect(found(card, text) == ["4111 1111 1111 1111"])
    #expect(found(ssn, text) == ["536-22-8841"])
    #expect(found(iban, text) == ["DE89 3704 0044 0532 0130 00"])
  }

}
