using System.Text;
using Entrepot.Core.Border;
using Entrepot.Core.Border.Policy;
using Entrepot.Core.Border.Rules;

namespace Entrepot.Core.Tests.Border;

/// <summary>
/// Legal scenarios written from the regimes' texts (see docs/RULES.md): who sends what to whom and
/// when, and the verdict and deciding rules the shipped packs must give. Subjects already sent to
/// the seller are seeded into the counter to put a scenario just over or under a bulk threshold.
/// </summary>
public class LegalScenarioTests
{
    private static readonly RuleBook Book = RulePackLoader.LoadDirectory(RepoPaths.Rules, DateTimeOffset.UtcNow);
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("scenario-key");
    private static readonly DateTimeOffset Today = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private const string Buyer = "buyer-1";

    public sealed record Scenario(
        string Name,
        string From,
        string To,
        string Expect,
        string[] Rules,
        string? Declared = null,
        string Text = "",
        string? Date = null,
        string? Owner = null,
        string[]? SellerHolds = null,
        string[]? BuyerHolds = null,
        string? PriorCategory = null,
        int Prior = 0,
        long? Subjects = null,
        int Unscanned = 0,
        string? PriorTo = null,
        string? Priors = null)
    {
        public override string ToString() => Name;
    }

    private const string Email = "Patient contact: jane.doe@example.com.";
    private const string TwoEmails = "Send to a.b@example.com and c.d@example.org.";

    public static readonly TheoryData<Scenario> Scenarios =
    [
        // US Data Security Program, 28 CFR 202
        new("US gov-related data to China is denied at any volume", "US", "CN", "deny", ["us-dsp-government-related"], Declared: "government-related"),
        new("Hong Kong counts as China for the US rule", "US", "HK", "deny", ["us-dsp-government-related"], Declared: "government-related"),
        new("Macau counts as China for the US rule", "US", "MO", "deny", ["us-dsp-government-related"], Declared: "government-related"),
        new("US gov-related data to Russia", "US", "RU", "deny", ["us-dsp-government-related"], Declared: "government-related"),
        new("US gov-related data to Venezuela", "US", "VE", "deny", ["us-dsp-government-related"], Declared: "government-related"),
        new("US gov-related data to Iran: DSP and OFAC both deny", "US", "IR", "deny", ["us-dsp-government-related", "ofac-iran-seller"], Declared: "government-related"),
        new("US gov-related data to a Singapore-owned seller in Singapore is not restricted", "US", "SG", "allow", [], Declared: "government-related", Owner: "SG"),
        new("US gov-related data to a seller in Singapore that states no owner: it may be Chinese-owned", "US", "SG", "deny", ["us-dsp-covered-person-government-related"], Declared: "government-related"),
        new("US gov-related data to a Singapore seller owned from China (covered person)", "US", "SG", "deny", ["us-dsp-covered-person-government-related"], Declared: "government-related", Owner: "CN"),
        new("US gov-related data to a Singapore seller owned from Russia", "US", "SG", "deny", ["us-dsp-covered-person-government-related"], Declared: "government-related", Owner: "RU"),
        new("DSP not yet in force on 2025-04-07", "US", "CN", "allow", [], Declared: "government-related", Date: "2025-04-07"),
        new("DSP in force on 2025-04-08", "US", "CN", "deny", ["us-dsp-government-related"], Declared: "government-related", Date: "2025-04-08"),
        new("A few US identifiers to China stay under the bulk threshold", "US", "CN", "allow", [], Text: Email),
        new("Covered personal identifiers over 100,000 in 12 months", "US", "CN", "deny", ["us-dsp-bulk-personal-identifiers"], Text: Email, PriorCategory: "personal-identifiers", Prior: 100_000),
        new("Exactly 100,000 identifiers is not more than the threshold", "US", "CN", "allow", [], Text: Email, PriorCategory: "personal-identifiers", Prior: 99_999),
        new("Health data over 10,000 persons", "US", "CN", "deny", ["us-dsp-bulk-health"], Declared: "health", Text: Email, PriorCategory: "health", Prior: 10_000, SellerHolds: ["zero-retention"]),
        new("Health data at 10,000 persons is not bulk", "US", "CN", "allow", ["us-padfa-adversary-located"], Declared: "health", Text: Email, PriorCategory: "health", Prior: 9_999, SellerHolds: ["zero-retention"]),
        new("Human genomic data over 100 persons", "US", "HK", "deny", ["us-dsp-bulk-genomic"], Declared: "genomic", Text: Email, PriorCategory: "genomic", Prior: 100, SellerHolds: ["zero-retention"]),
        new("Biometric identifiers over 1,000 persons", "US", "RU", "deny", ["us-dsp-bulk-biometric"], Declared: "biometric", Text: Email, PriorCategory: "biometric", Prior: 1_000, SellerHolds: ["zero-retention"]),
        new("Precise geolocation of over 1,000 devices", "US", "CN", "deny", ["us-dsp-bulk-precise-geolocation"], Text: "Device seen at 38.89768, -77.03653.", PriorCategory: "precise-geolocation", Prior: 1_000, SellerHolds: ["zero-retention"]),
        new("Personal financial data over 10,000 persons", "US", "CU", "deny", ["us-dsp-bulk-financial", "ofac-cuba-seller"], Text: "Card 4111 1111 1111 1111.", PriorCategory: "financial", Prior: 10_000, SellerHolds: ["zero-retention"]),
        new("Health data to a China-owned seller in Germany over 10,000", "US", "DE", "deny", ["us-dsp-covered-person-bulk-health"], Declared: "health", Text: Email, Owner: "CN", PriorCategory: "health", Prior: 10_000, SellerHolds: ["zero-retention"]),
        new("The DSP binds US origin only: German gov-related data to China", "DE", "CN", "allow", [], Declared: "government-related"),
        new("US gov-related data staying with a US-owned seller in the US", "US", "US", "allow", [], Declared: "government-related", Owner: "US"),
        new("US gov-related data to a US seller that states no owner: the worst case decides", "US", "US", "deny", ["us-dsp-covered-person-government-related"], Declared: "government-related"),

        // China: Provisions on Promoting and Regulating Cross-Border Data Flows (2024)
        new("Chinese PI under 100,000 a year is exempt", "CN", "US", "allow", ["cn-cac-pi-exempt-under-100k"], Text: Email),
        new("Hong Kong is outbound for the CAC: 100,000th person needs the standard contract", "CN", "HK", "deny", ["cn-cac-pi-standard-contract-100k"], Text: Email, PriorCategory: "personal-identifiers", Prior: 99_999),
        new("Standard contract filed: allowed in the 100k-1M band", "CN", "HK", "allow", ["cn-cac-pi-standard-contract-100k"], Text: Email, SellerHolds: ["cn-standard-contract"], PriorCategory: "personal-identifiers", Prior: 99_999),
        new("1,000,000th person needs a security assessment", "CN", "SG", "deny", ["cn-cac-pi-assessment-1m"], Text: Email, SellerHolds: ["cn-standard-contract"], PriorCategory: "personal-identifiers", Prior: 999_999),
        new("Security assessment approved for the route", "CN", "SG", "allow", ["cn-cac-pi-assessment-1m"], Text: Email, BuyerHolds: ["cac-security-assessment"], PriorCategory: "personal-identifiers", Prior: 999_999),
        new("Important data always needs an assessment", "CN", "US", "deny", ["cn-cac-important-data"], Declared: "important-data"),
        new("Important data with an approved assessment", "CN", "DE", "allow", ["cn-cac-important-data"], Declared: "important-data", BuyerHolds: ["cac-security-assessment"]),
        new("Important data staying in mainland China", "CN", "CN", "allow", [], Declared: "important-data"),
        new("Sensitive PI (health) from the first person needs the contract", "CN", "DE", "deny", ["cn-cac-spi-standard-contract"], Declared: "health", Text: Email),
        new("Sensitive PI (health) with the contract", "CN", "DE", "allow", ["cn-cac-spi-standard-contract", "cn-cac-pi-exempt-under-100k"], Declared: "health", Text: Email, SellerHolds: ["cn-standard-contract"]),
        new("Sensitive health PI over 10,000 needs an assessment", "CN", "DE", "deny", ["cn-cac-spi-assessment"], Declared: "health", Text: Email, SellerHolds: ["cn-standard-contract"], PriorCategory: "health", Prior: 9_999),
        new("A card number is financial sensitive PI", "CN", "SG", "deny", ["cn-cac-spi-standard-contract"], Text: "银行卡 6222 0212 3456 7894，谢谢"),
        new("Before the 2024 Provisions took effect", "CN", "JP", "allow", [], Text: Email, Date: "2024-03-21"),

        // EU GDPR Chapter V
        new("Within the EU", "DE", "FR", "allow", ["eu-gdpr-intra-eea"], Text: Email),
        new("EEA (Norway) origin within the EEA", "NO", "DE", "allow", ["eu-gdpr-intra-eea"], Text: Email),
        new("Adequacy: United Kingdom", "DE", "GB", "allow", ["eu-gdpr-adequacy"], Text: Email),
        new("Adequacy: Japan", "FR", "JP", "allow", ["eu-gdpr-adequacy"], Text: Email),
        new("Adequacy: Switzerland", "IT", "CH", "allow", ["eu-gdpr-adequacy"], Text: Email),
        new("Adequacy: Republic of Korea", "ES", "KR", "allow", ["eu-gdpr-adequacy"], Text: Email),
        new("No adequacy, no SCC: Singapore gets redacted data", "DE", "SG", "redact", ["eu-gdpr-scc"], Text: Email),
        new("No adequacy but SCC signed", "DE", "SG", "allow", ["eu-gdpr-scc"], Text: Email, SellerHolds: ["scc"]),
        new("EU personal data to China without SCC is redacted", "FR", "CN", "redact", ["eu-gdpr-scc"], Text: Email),
        new("US seller without DPF or SCC gets redacted data", "DE", "US", "redact", ["eu-gdpr-us-dpf"], Text: Email),
        new("US seller on the DPF List", "DE", "US", "allow", ["eu-gdpr-us-dpf"], Text: Email, SellerHolds: ["eu-us-dpf"]),
        new("US seller with SCC but no DPF", "DE", "US", "allow", ["eu-gdpr-us-dpf"], Text: Email, SellerHolds: ["scc"]),
        new("US before the DPF (2022) needed SCC", "DE", "US", "redact", ["eu-gdpr-us-before-dpf"], Text: Email, Date: "2022-06-01"),
        new("Brazil before its adequacy decision", "DE", "BR", "redact", ["eu-gdpr-brazil-before-adequacy"], Text: Email, Date: "2025-06-01"),
        new("Brazil after its adequacy decision", "DE", "BR", "allow", ["eu-gdpr-adequacy"], Text: Email),
        new("Public data leaves the EU freely", "DE", "SG", "allow", [], Text: "Summarise the history of the Hanseatic League."),
        new("Declared personal data cannot be made lawful by redaction (CJEU C-413/23 P)", "DE", "IN", "deny", ["eu-gdpr-scc"], Declared: "personal"),

        // Russia 152-FZ
        new("Russian personal data abroad without localisation", "RU", "DE", "deny", ["ru-152fz-localisation", "ru-152fz-crossborder-notice"], Text: Email),
        new("Russian personal data localised and notified", "RU", "DE", "allow", ["ru-152fz-localisation", "ru-152fz-crossborder-notice"], Text: Email, BuyerHolds: ["ru-localised", "ru-crossborder-notified"]),
        new("Localised but transfer not notified", "RU", "KZ", "deny", ["ru-152fz-crossborder-notice"], Text: Email, BuyerHolds: ["ru-localised"]),
        new("Russian personal data staying in Russia", "RU", "RU", "allow", [], Text: Email),
        new("Russian public data abroad", "RU", "DE", "allow", [], Text: "Translate: good morning"),

        // India DPDP s.16
        new("India: s.16 not yet in force", "IN", "US", "allow", [], Text: Email),

        // Facts missing: declared categories about nobody the scanner can count (28 CFR 202.206)
        new("US genomic rows keyed by sample ids to China: the count is missing", "US", "CN", "deny", ["us-dsp-bulk-genomic"], Declared: "genomic", Owner: "CN", SellerHolds: ["zero-retention"]),
        new("US genomic data of 100 declared people to China: at the threshold", "US", "CN", "allow", ["us-padfa-adversary-located"], Declared: "genomic", Owner: "CN", Subjects: 100, SellerHolds: ["zero-retention"]),
        new("US genomic data of 101 declared people to China: bulk", "US", "CN", "deny", ["us-dsp-bulk-genomic"], Declared: "genomic", Owner: "CN", Subjects: 101, SellerHolds: ["zero-retention"]),
        new("US health data naming nobody to a Chinese-owned seller in Singapore", "US", "SG", "deny", ["us-dsp-covered-person-bulk-health"], Declared: "health", Owner: "CN", SellerHolds: ["zero-retention"]),
        new("US health data of 20 declared people after 9,990 to China: the declared count as new people", "US", "CN", "deny", ["us-dsp-bulk-health"], Declared: "health", Owner: "CN", Subjects: 20, PriorCategory: "health", Prior: 9990, SellerHolds: ["zero-retention"]),
        new("US health data naming nobody to a US-owned seller in Singapore: no volume rule could apply", "US", "SG", "allow", [], Declared: "health", Owner: "US"),

        // Redaction is no lawful transfer of what the scanner cannot find (CJEU C-413/23 P)
        new("EU email found by the scanner to India: redaction removes it", "DE", "IN", "redact", ["eu-gdpr-scc"], Text: Email),
        new("EU image to India without SCCs: redaction cannot reach it", "DE", "IN", "deny", ["eu-gdpr-scc"], Unscanned: 1),
        new("EU image to India with SCCs", "DE", "IN", "allow", ["eu-gdpr-scc"], Unscanned: 1, SellerHolds: ["scc"]),
        new("EU image declared public to India", "DE", "IN", "allow", [], Declared: "public", Unscanned: 1),
        new("EU health data declared, to a US seller outside the DPF", "DE", "US", "deny", ["eu-gdpr-us-dpf"], Declared: "health"),

        // EEA EFTA states and Brazil (Decision (EU) 2026/179 not yet in the EEA Agreement)
        new("Norway to Brazil: no adequacy yet for the EFTA states", "NO", "BR", "redact", ["eu-gdpr-efta-brazil"], Text: Email),
        new("Norway to Brazil with SCCs", "NO", "BR", "allow", ["eu-gdpr-adequacy", "eu-gdpr-efta-brazil"], Text: Email, SellerHolds: ["scc"]),
        new("Germany to Brazil after the adequacy decision", "DE", "BR", "allow", ["eu-gdpr-adequacy"], Text: Email),
        new("Iceland to Brazil declared personal: redaction is no way out", "IS", "BR", "deny", ["eu-gdpr-efta-brazil"], Declared: "personal"),

        // Other human 'omic data (28 CFR 202.205(a), 202.224)
        new("Proteomic data of over 1,000 persons to China", "US", "CN", "deny", ["us-dsp-bulk-omic"], Declared: "omic", Text: Email, Owner: "CN", PriorCategory: "omic", Prior: 1_000, SellerHolds: ["zero-retention"]),
        new("Proteomic data of 1,000 persons to China is not bulk", "US", "CN", "allow", ["us-padfa-adversary-located"], Declared: "omic", Text: Email, Owner: "CN", PriorCategory: "omic", Prior: 999, SellerHolds: ["zero-retention"]),
        new("Transcriptomic data of over 1,000 persons to a Russian-owned seller in Germany", "US", "DE", "deny", ["us-dsp-covered-person-bulk-omic"], Declared: "omic", Text: Email, Owner: "RU", PriorCategory: "omic", Prior: 1_000, SellerHolds: ["zero-retention"]),

        // PADFA, 15 U.S.C. 9901: no volume threshold
        new("One person's US health data to a Chinese seller that keeps prompts", "US", "CN", "deny", ["us-padfa-adversary-located"], Declared: "health", Text: Email, Owner: "CN"),
        new("One person's US health data to a Chinese seller that retains nothing", "US", "CN", "allow", ["us-padfa-adversary-located"], Declared: "health", Text: Email, Owner: "CN", SellerHolds: ["zero-retention"]),
        new("US card data to a Russian-owned seller in Germany that keeps prompts", "US", "DE", "deny", ["us-padfa-adversary-controlled"], Text: "Card 4111 1111 1111 1111.", Owner: "RU"),
        new("US card data to a German-owned seller in Germany", "US", "DE", "allow", [], Text: "Card 4111 1111 1111 1111.", Owner: "DE"),
        new("A US email (not sensitive) to a Chinese seller that keeps prompts: PADFA does not reach it", "US", "CN", "allow", [], Text: Email, Owner: "CN"),
        new("PADFA not yet in force in May 2024", "US", "CN", "allow", [], Declared: "health", Text: Email, Owner: "CN", Date: "2024-05-01"),

        // India until s.16: the SPDI Rules 2011, r.7
        new("Indian health data abroad in 2026 without contract or consent", "IN", "US", "deny", ["in-spdi-sensitive-transfer"], Declared: "health", Text: Email),
        new("Indian health data abroad in 2026 with the provider's consent", "IN", "US", "allow", ["in-spdi-sensitive-transfer"], Declared: "health", Text: Email, BuyerHolds: ["in-spdi-consent"]),
        new("Indian financial data abroad under a lawful contract", "IN", "SG", "allow", ["in-spdi-sensitive-transfer"], Text: "Card 4111 1111 1111 1111.", SellerHolds: ["in-spdi-contract"]),
        new("An Indian email abroad in 2026 is not sensitive data", "IN", "US", "allow", [], Text: Email),
        new("Indian health data abroad once the DPDP Act is in force", "IN", "US", "allow", ["in-dpdp-transfer-permitted"], Declared: "health", Text: Email, Date: "2027-06-01"),

        // China: CII operators and human genetic resources
        new("A CII operator sends one person's email abroad without an assessment", "CN", "SG", "deny", ["cn-cac-cii-operator"], Text: Email, BuyerHolds: ["cn-cii-operator"]),
        new("A CII operator with an approved assessment", "CN", "SG", "allow", ["cn-cac-cii-operator", "cn-cac-pi-exempt-under-100k"], Text: Email, BuyerHolds: ["cn-cii-operator", "cac-security-assessment"]),
        new("An ordinary handler sends one person's email abroad", "CN", "SG", "allow", ["cn-cac-pi-exempt-under-100k"], Text: Email),
        new("Chinese genomic data under a standard contract but without the Decree 717 approval", "CN", "SG", "deny", ["cn-hgr-genomic"], Declared: "genomic", Text: Email, SellerHolds: ["cn-standard-contract"]),
        new("Chinese genomic data with the approval and a standard contract", "CN", "SG", "allow", ["cn-hgr-genomic", "cn-cac-spi-standard-contract", "cn-cac-pi-exempt-under-100k"], Declared: "genomic", Text: Email, SellerHolds: ["cn-standard-contract"], BuyerHolds: ["cn-hgr-approval"]),

        // Counting units: China per handler across recipients, sensitive categories summed; the US per owner
        new("China sums sensitive categories: 5,000 health and 4,999 financial before this person", "CN", "SG", "deny", ["cn-cac-spi-assessment"], Declared: "health", Text: Email, SellerHolds: ["cn-standard-contract"], Priors: "health=5000;financial=4999"),
        new("China: 9,998 sensitive people before this one stay under 10,000", "CN", "SG", "allow", ["cn-cac-spi-standard-contract", "cn-cac-pi-exempt-under-100k"], Declared: "health", Text: Email, SellerHolds: ["cn-standard-contract"], Priors: "health=5000;financial=4998"),
        new("China counts every recipient: 9,999 sensitive people sent to another seller", "CN", "SG", "deny", ["cn-cac-spi-assessment"], Declared: "health", Text: Email, SellerHolds: ["cn-standard-contract"], PriorCategory: "health", Prior: 9_999, PriorTo: "other"),
        new("China counts every recipient: 100,000th person over two sellers needs the contract", "CN", "SG", "deny", ["cn-cac-pi-standard-contract-100k"], Text: Email, PriorCategory: "personal-identifiers", Prior: 99_999, PriorTo: "other"),
        new("US DSP: sellers with one owner share a count", "US", "DE", "deny", ["us-dsp-covered-person-bulk-health"], Declared: "health", Text: Email, Owner: "CN", SellerHolds: ["zero-retention"], PriorCategory: "health", Prior: 10_000, PriorTo: "CN"),
        new("US DSP: another owner's seller does not add to the count", "US", "DE", "allow", ["us-padfa-adversary-controlled"], Declared: "health", Text: Email, Owner: "CN", SellerHolds: ["zero-retention"], PriorCategory: "health", Prior: 10_000, PriorTo: "other"),
        new("US DSP: a seller in China shares its count with other Chinese-owned sellers", "US", "CN", "deny", ["us-dsp-bulk-genomic"], Declared: "genomic", Text: Email, Owner: "CN", SellerHolds: ["zero-retention"], PriorCategory: "genomic", Prior: 100, PriorTo: "CN"),

        // Who holds a contract, for where, until when
        new("A seller's SCC that expired does not count", "DE", "IN", "redact", ["eu-gdpr-scc"], Text: Email, SellerHolds: ["scc;until=2026-06-30"]),
        new("A seller's SCC still in force counts", "DE", "IN", "allow", ["eu-gdpr-scc"], Text: Email, SellerHolds: ["scc;from=2025-01-01;until=2027-12-31"]),
        new("A seller's SCC not yet in force does not count", "DE", "IN", "redact", ["eu-gdpr-scc"], Text: Email, SellerHolds: ["scc;from=2027-01-01"]),
        new("A seller's SCC with another buyer does not count", "DE", "IN", "redact", ["eu-gdpr-scc"], Text: Email, SellerHolds: ["scc;with=someone-else"]),
        new("A seller's SCC with this buyer counts", "DE", "IN", "allow", ["eu-gdpr-scc"], Text: Email, SellerHolds: ["scc;with=buyer-1"]),
        new("A seller's SCC for German exporters does not cover a French one", "FR", "IN", "redact", ["eu-gdpr-scc"], Text: Email, SellerHolds: ["scc;for=DE"]),
        new("A buyer's SCC for India covers the Indian seller", "DE", "IN", "allow", ["eu-gdpr-scc"], Text: Email, BuyerHolds: ["scc;for=IN;with=seller-1"]),
        new("A buyer's SCC for Singapore does not cover India", "DE", "IN", "redact", ["eu-gdpr-scc"], Text: Email, BuyerHolds: ["scc;for=SG"]),
        new("A CAC assessment for the Singapore route does not cover Germany", "CN", "DE", "deny", ["cn-cac-pi-assessment-1m"], Text: Email, BuyerHolds: ["cac-security-assessment;for=SG"], PriorCategory: "personal-identifiers", Prior: 999_999),
        new("A CAC assessment past its validity does not count", "CN", "SG", "deny", ["cn-cac-pi-assessment-1m"], Text: Email, BuyerHolds: ["cac-security-assessment;for=SG;until=2026-03-31"], PriorCategory: "personal-identifiers", Prior: 999_999),
        new("A Roskomnadzor notice for Germany does not cover France", "RU", "FR", "deny", ["ru-152fz-crossborder-notice"], Text: Email, BuyerHolds: ["ru-localised", "ru-crossborder-notified;for=DE"]),
        new("A Roskomnadzor notice for Germany covers it at once (adequate protection)", "RU", "DE", "allow", ["ru-152fz-localisation", "ru-152fz-crossborder-notice"], Text: Email, BuyerHolds: ["ru-localised", "ru-crossborder-notified;for=DE;from=2026-11-27"]),
        new("To the US, a notice filed on 17 November still waits on the 28th (ready 1 December)", "RU", "US", "deny", ["ru-152fz-crossborder-notice-wait"], Text: Email, BuyerHolds: ["ru-localised", "ru-crossborder-notified;for=US;from=2026-11-17"]),
        new("To the US, a notice filed on 14 November counts from the 27th", "RU", "US", "allow", ["ru-152fz-localisation", "ru-152fz-crossborder-notice-wait"], Text: Email, BuyerHolds: ["ru-localised", "ru-crossborder-notified;for=US;from=2026-11-14"]),
        new("To the US, an undated notice cannot show its wait", "RU", "US", "deny", ["ru-152fz-crossborder-notice-wait"], Text: Email, BuyerHolds: ["ru-localised", "ru-crossborder-notified;for=US"]),
        new("To Kazakhstan (on Roskomnadzor's list), no wait", "RU", "KZ", "allow", ["ru-152fz-localisation", "ru-152fz-crossborder-notice"], Text: Email, BuyerHolds: ["ru-localised", "ru-crossborder-notified;for=KZ;from=2026-11-27"]),

        // Precise geolocation is 1,000 m or finer (28 CFR 202.242)
        new("Three decimals are precise: the 1,001st device to China", "US", "CN", "deny", ["us-dsp-bulk-precise-geolocation"], Text: "Pick-up at 38.897, -77.036 today.", Owner: "CN", PriorCategory: "precise-geolocation", Prior: 1000, SellerHolds: ["zero-retention"]),
        new("Two labelled decimals are precise: the 1,001st device to China", "US", "CN", "deny", ["us-dsp-bulk-precise-geolocation"], Text: "Device GPS: 38.90, -77.04", Owner: "CN", PriorCategory: "precise-geolocation", Prior: 1000, SellerHolds: ["zero-retention"]),
        new("Two unlabelled decimals are a town, not a position", "US", "CN", "allow", [], Text: "Ratio 38.90, -77.04 in the table.", Owner: "CN", PriorCategory: "precise-geolocation", Prior: 1000),
        new("India: transfers permitted, no country notified", "IN", "US", "allow", ["in-dpdp-transfer-permitted"], Text: Email, Date: "2027-06-01"),

        // OFAC embargoes (exchange rule and buyer screening)
        new("Seller in Iran", "DE", "IR", "deny", ["ofac-iran-seller"]),
        new("Seller in Cuba", "US", "CU", "deny", ["ofac-cuba-seller"]),
        new("Seller in North Korea", "SG", "KP", "deny", ["ofac-north-korea-seller"]),
        new("Seller in Crimea", "DE", "UA-43", "deny", ["ofac-crimea-seller"]),
        new("Buyer in Iran", "IR", "DE", "deny", ["ofac-iran-buyer"]),
        new("Buyer in Crimea", "UA-43", "DE", "deny", ["ofac-crimea-buyer"]),
        new("Buyer in Donetsk oblast, location unchecked", "UA-14", "SG", "deny", ["ofac-dnr-lnr-buyer"]),
        new("Buyer in Donetsk oblast whose postal code was checked outside the so-called DNR (OFAC FAQ 1009)", "UA-14", "SG", "allow", ["ofac-dnr-lnr-buyer"], BuyerHolds: ["ofac-outside-covered-regions;from=2026-11-01"]),
        new("Seller in Luhansk oblast checked outside the so-called LNR", "DE", "UA-09", "allow", ["ofac-dnr-lnr-seller"], SellerHolds: ["ofac-outside-covered-regions;from=2026-11-01"]),
        new("A location check from before the line moved does not count", "UA-14", "SG", "deny", ["ofac-dnr-lnr-buyer"], BuyerHolds: ["ofac-outside-covered-regions;from=2025-01-01;until=2025-12-31"]),
        new("Buyer in Kyiv", "UA-30", "DE", "allow", []),
        new("Buyer known only as Ukraine: it may be in Crimea or the DNR/LNR", "UA", "DE", "deny", ["ofac-crimea-buyer", "ofac-dnr-lnr-buyer"]),
        new("Seller known only as Ukraine: it may be in Crimea or the DNR/LNR", "DE", "UA", "deny", ["ofac-crimea-seller", "ofac-dnr-lnr-seller"]),
        new("Seller in Lviv", "DE", "UA-46", "redact", ["eu-gdpr-scc"], Text: Email),
        new("Buyer in Syria in 2024", "SY", "DE", "deny", ["ofac-syria-buyer-until-2025"], Date: "2024-05-01"),
        new("Buyer in Syria after the embargo ended", "SY", "DE", "allow", []),
        new("Embargo predates the DSP: gov-related data to Iran in 2020", "US", "IR", "deny", ["ofac-iran-seller"], Declared: "government-related", Date: "2020-01-01"),
    ];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Decides(Scenario s)
    {
        var counter = new SubjectCounter();
        var now = s.Date is null ? Today : new DateTimeOffset(DateTime.Parse(s.Date + "T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime());
        var seller = new Counterparty("seller-1", s.To, s.Owner, s.SellerHolds, null);
        Assert.True(DataProfiler.TryParseDeclared(s.Declared, out var bits, out var cats, out var err), err);
        var inspection = Inspection.Run([new Core.Protocol.DataField(Core.Protocol.FieldKind.Content, 0, 0, 0, s.Text)], s.Unscanned, bits, cats, DataClass.Public, Key);
        // Earlier sends, to this seller or (PriorTo "other" / an owner's country) to another one,
        // as the exchange records them: in every unit a rule may count them in.
        var sentTo = s.PriorTo is null ? seller : new Counterparty("seller-2", s.To, s.PriorTo == "other" ? "other" : s.PriorTo);
        var next = (UInt128)1;
        var priors = (s.Priors ?? (s.PriorCategory is null ? "" : $"{s.PriorCategory}={s.Prior}")).Split(';', StringSplitOptions.RemoveEmptyEntries);
        foreach (var prior in priors)
        {
            Assert.True(DataClasses.TryParseCategory(prior.Split('=')[0], out var cat));
            for (int i = 0; i < int.Parse(prior.Split('=')[1], System.Globalization.CultureInfo.InvariantCulture); i++)
            {
                var id = new SubjectId(next++);
                foreach (var scope in SubjectScope.EveryUnit(cat, Buyer, s.From, sentTo))
                {
                    counter.Load(scope, id, now.AddDays(-30));
                }
            }
        }

        var subjects = inspection.Subjects;
        if (s.Subjects is { } n)
        {
            subjects = DataProfiler.WithDeclared(inspection.Subjects, inspection.Profile.Categories, n); // as the exchange reads Entrepot-Data-Subjects
        }

        var trade = new TradeContext(s.From, inspection.Profile, now, subjects, s.BuyerHolds, Buyer, s.Subjects);
        var decision = new PolicyEngine(counter).Decide(Book, trade, seller);
        Assert.Equal(s.Expect, decision.Verdict.Name());
        Assert.Equal(s.Rules.Order(), decision.Deciding.Select(r => r.Rule.Id).Order());
    }

    [Fact]
    public void ARefusal_SaysWhichHoldingFellShortAndWhy()
    {
        var seller = new Counterparty("sg-1", "SG", "SG", ["scc;until=2026-06-30", "scc;with=other-buyer"]);
        var trade = new TradeContext("DE", Inspection.Run([Email], 0, DataCategory.None, DataClass.Public, Key).Profile, Today,
            TradeContext.NoSubjects, ["scc;for=IN"], Buyer);
        var decision = new PolicyEngine(new SubjectCounter()).Decide(Book, trade, seller);
        var note = Assert.Single(decision.Deciding).Note;
        Assert.Equal("requires scc: not held (the seller's scc is expired 2026-06-30; the seller's scc is with other-buyer only; the buyer's scc is for IN only)", note);
    }

    [Theory]
    [InlineData("scc", "scc")]
    [InlineData("SCC ; for=sg+hk ; with=Sg-1 ; from=2026-01-01 ; until=2026-12-31", "scc;for=SG+HK;with=sg-1;from=2026-01-01;until=2026-12-31")]
    [InlineData("scc;for=Germany", null)]
    [InlineData("scc;until=31.12.2026", null)]
    [InlineData("scc;from=2027-01-01;until=2026-01-01", null)]
    [InlineData("scc;within=DE", null)]
    [InlineData("s c c", null)]
    public void Holdings_ParseOrSayWhy(string text, string? canonical)
    {
        var h = Holding.Parse(text, out var error);
        Assert.Equal(canonical, h?.ToString());
        Assert.Equal(canonical is null, error is not null);
    }

    [Fact]
    public void MissingFacts_AreNamedWithTheRulesTheyTighten()
    {
        var lines = MissingFacts.Of(Book,
            [new Counterparty("sg-1", "SG"), new Counterparty("sg-2", "SG", "SG"), new Counterparty("ua-1", "UA", "UA")],
            [("kyiv", "UA-30"), ("somewhere", "UA"), ("berlin", "DE")]).ToList();
        Assert.Equal(3, lines.Count);
        Assert.StartsWith("seller sg-1 states no ownership: ", lines[0], StringComparison.Ordinal);
        Assert.Contains("us-dsp-covered-person-government-related", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("seller ua-1 is located only as UA: ", lines[1], StringComparison.Ordinal);
        Assert.Contains("ofac-crimea-seller", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("decide as if it were in UA-09, UA-14, UA-40, UA-43 (give its ISO 3166-2 region)", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("account somewhere is located only as UA: ", lines[2], StringComparison.Ordinal);
        Assert.Contains("ofac-dnr-lnr-buyer", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void HasAtLeastSixtyScenarios() => Assert.True(Scenarios.Count >= 60, $"{Scenarios.Count} scenarios");

    [Fact]
    public void ThresholdCrossedMidStreamChangesLaterRequests()
    {
        // 28 CFR 202.205(d): personal health data of more than 10,000 US persons to one covered
        // person in 12 months. 9,998 sent already; each request names one new patient.
        var counter = new SubjectCounter();
        var engine = new PolicyEngine(counter);
        var seller = new Counterparty("cn-seller", "CN", "CN", ["zero-retention"]);
        var scope = SubjectScope.For(CountingUnit.Owner, DataCategory.Health, Buyer, "US", seller); // the DSP counts per owner
        for (int i = 0; i < 9_998; i++)
        {
            counter.Load(scope, new SubjectId((UInt128)(i + 1)), Today.AddDays(-1));
        }

        Assert.True(DataProfiler.TryParseDeclared("health", out var bits, out var cats, out _));
        var verdicts = new List<string>();
        for (int n = 0; n < 4; n++)
        {
            var inspection = Inspection.Run([$"Patient p{n}@example.com reports a headache."], bits, cats, DataClass.Public, Key);
            var trade = new TradeContext("US", inspection.Profile, Today, inspection.Subjects, Holder: Buyer);
            var d = engine.Decide(Book, trade, seller);
            verdicts.Add(d.Verdict.Name());
            if (d.Verdict != Verdict.Deny)
            {
                counter.Record(scope, Today, trade.SubjectsOf(DataCategory.Health));
            }
        }

        // 9,999 and 10,000 are allowed; the 10,001st person crosses the threshold and stays denied.
        Assert.Equal(["allow", "allow", "deny", "deny"], verdicts);
    }

    [Fact]
    public void SubjectsOutsideTheRollingWindowDoNotCount()
    {
        var counter = new SubjectCounter();
        var seller = new Counterparty("cn-seller", "CN", "CN", ["zero-retention"]);
        var scope = SubjectScope.For(CountingUnit.Owner, DataCategory.Health, Buyer, "US", seller); // the DSP counts per owner
        for (int i = 0; i < 20_000; i++)
        {
            counter.Load(scope, new SubjectId((UInt128)(i + 1)), Today.AddMonths(-13));
        }

        Assert.True(DataProfiler.TryParseDeclared("health", out var bits, out var cats, out _));
        var inspection = Inspection.Run([Email], bits, cats, DataClass.Public, Key);
        var d = new PolicyEngine(counter).Decide(Book, new TradeContext("US", inspection.Profile, Today, inspection.Subjects, Holder: Buyer), seller);
        Assert.Equal(Verdict.Allow, d.Verdict);
    }

    [Fact]
    public void SameSubjectTwiceCountsOnce()
    {
        var counter = new SubjectCounter();
        var scope = new SubjectScope(Buyer, "US", "s", DataCategory.PersonalIdentifiers);
        var a = Inspection.Run(["JANE.DOE@example.com"], 0, DataCategory.None, DataClass.Public, Key);
        var b = Inspection.Run(["jane.doe@EXAMPLE.com and jane.doe@example.com"], 0, DataCategory.None, DataClass.Public, Key);
        counter.Record(scope, Today, a.Subjects[DataCategory.PersonalIdentifiers]);
        Assert.Equal(1, counter.CountWith(scope, Today.AddDays(-1), b.Subjects[DataCategory.PersonalIdentifiers]));
    }
}
