using Entrepot.Core.Border;
using Entrepot.Core.Border.Policy;
using Entrepot.Core.Border.Rules;

namespace Entrepot.Core.Tests.Border;

public class RulePackLoaderTests
{
    private const string Groups = """
        groups:
          concern:
            title: Test group
            source: https://example.org/list
            members: ["CN", "HK"]
          nobody:
            title: Empty on purpose
            source: https://example.org/none
            members: []
        """;

    private static (RuleBook? Book, List<RuleLoadError> Errors) Load(string pack)
    {
        var errors = new List<RuleLoadError>();
        var book = RulePackLoader.TryLoad([("rules/groups.yaml", Groups), ("rules/test.yaml", pack)], DateTimeOffset.UnixEpoch, errors);
        return (book, errors);
    }

    [Fact]
    public void ShippedPacksLoad_AndEveryRuleHasACitationAndSource()
    {
        var book = RulePackLoader.LoadDirectory(RepoPaths.Rules, DateTimeOffset.UtcNow);
        Assert.Equal(["cn-cac", "eu-gdpr", "in-dpdp", "ofac", "ru-152fz", "us-dsp", "us-padfa"], book.Packs.Select(p => p.Id).Order());
        Assert.All(book.Packs, p => Assert.StartsWith("https://", p.SourceUrl, StringComparison.Ordinal));
        Assert.All(book.Rules, r => Assert.False(string.IsNullOrWhiteSpace(r.Citation)));
        Assert.True(book.Rules.Count >= 40);
    }

    [Theory]
    [InlineData("pack: t\ntitle: T\nsource: s\nrules:\n  - id: a\n    title: t\n    citation: c\n    effective_from: 2024-01-01\n    effect: block\n", "rules/test.yaml:9: rules[0].effect: unknown effect 'block'")]
    [InlineData("pack: t\ntitle: T\nsource: s\nrules:\n  - id: a\n    title: t\n    effective_from: 2024-01-01\n    effect: deny\n", "rules/test.yaml:5: rules[0].citation: required")]
    [InlineData("pack: t\ntitle: T\nsource: s\nrules:\n  - id: a\n    title: t\n    citation: c\n    effective_from: 01.02.2024\n    effect: deny\n", "rules/test.yaml:8: rules[0].effective_from: '01.02.2024' is not a date")]
    [InlineData("pack: t\ntitle: T\nsource: s\nrules:\n  - id: a\n    title: t\n    citation: c\n    effective_from: 2024-01-01\n    effect: deny\n    match:\n      destination: [\"@nowhere\"]\n", "rules/test.yaml:11: rules[0].match.destination: unknown group '@nowhere'")]
    [InlineData("pack: t\ntitle: T\nsource: s\nrules:\n  - id: a\n    title: t\n    citation: c\n    effective_from: 2024-01-01\n    effect: require_contract\n", "rules/test.yaml:5: rules[0].requires: required with effect require_contract")]
    [InlineData("pack: t\ntitle: T\nsource: s\nrules:\n  - id: a\n    title: t\n    citation: c\n    effective_from: 2024-01-01\n    effect: deny\n    match:\n      data_classes: [secret]\n", "rules/test.yaml:11: rules[0].match.data_classes: unknown class 'secret'")]
    [InlineData("pack: t\ntitle: T\nsource: s\nrules:\n  - id: a\n    title: t\n    citation: c\n    effective_from: 2024-01-01\n    effect: deny\n    threshold:\n      subjects: lots\n      category: health\n      period: rolling-12-months\n", "rules/test.yaml:11: rules[0].threshold.subjects: required")]
    [InlineData("pack: t\ntitle: T\nsource: s\nrules:\n  - id: a\n    title: t\n    citation: c\n    effective_from: 2024-01-01\n    effect: deny\n    colour: red\n", "rules/test.yaml:10: rules[0].colour: unknown field")]
    [InlineData("pack: t\ntitle: T\nsource: s\nrules:\n  - id: a\n    title: [unclosed\n", "rules/test.yaml:")]
    public void Errors_NameFileLineAndField(string pack, string expected)
    {
        var (book, errors) = Load(pack);
        Assert.Null(book);
        Assert.Contains(errors, e => e.ToString().StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void DuplicateIdsAcrossPacksAreRefused()
    {
        var errors = new List<RuleLoadError>();
        const string rule = "  - id: same\n    title: t\n    citation: c\n    effective_from: 2024-01-01\n    effect: deny\n";
        RulePackLoader.TryLoad([("a.yaml", "pack: a\ntitle: A\nsource: s\nrules:\n" + rule), ("b.yaml", "pack: b\ntitle: B\nsource: s\nrules:\n" + rule)], DateTimeOffset.UnixEpoch, errors);
        Assert.Contains(errors, e => e.File == "b.yaml" && e.Field == "rules[0].id" && e.Message.Contains("already used in a.yaml:5", StringComparison.Ordinal));
    }

    [Fact]
    public void EmptyGroupMatchesNothing_OmittedFieldMatchesEverything()
    {
        var (book, errors) = Load("""
            pack: t
            title: T
            source: s
            rules:
              - id: to-nobody
                title: t
                citation: c
                effective_from: 2024-01-01
                effect: deny
                match:
                  destination: ["@nobody"]
              - id: to-anyone-from-hk
                title: t
                citation: c
                effective_from: 2024-01-01
                effect: redact
                match:
                  origin: ["@concern"]
            """);
        Assert.Empty(errors);
        var engine = new PolicyEngine(new SubjectCounter());
        var trade = new TradeContext("DE", DataProfile.PublicData, DateTimeOffset.UtcNow, TradeContext.NoSubjects);
        Assert.Equal(Verdict.Allow, engine.Decide(book!, trade, new Counterparty("s", "SG")).Verdict);
        Assert.Equal(Verdict.Redact, engine.Decide(book!, trade with { Origin = "HK" }, new Counterparty("s", "SG")).Verdict);
    }

    [Fact]
    public void RequiresListIsAlternatives_AndOtherwiseApplies()
    {
        var (book, errors) = Load("""
            pack: t
            title: T
            source: s
            rules:
              - id: need-one
                title: t
                citation: c
                effective_from: 2024-01-01
                effect: require_contract
                requires: [scc, bcr]
                otherwise: redact
            """);
        Assert.Empty(errors);
        var engine = new PolicyEngine(new SubjectCounter());
        var trade = new TradeContext("DE", DataProfile.PublicData, DateTimeOffset.UtcNow, TradeContext.NoSubjects);
        Assert.Equal(Verdict.Redact, engine.Decide(book!, trade, new Counterparty("s", "SG")).Verdict);
        Assert.Equal(Verdict.Allow, engine.Decide(book!, trade, new Counterparty("s", "SG", Contracts: ["bcr"])).Verdict);
        Assert.Equal(Verdict.Allow, engine.Decide(book!, trade with { BuyerAttestations = ["scc"] }, new Counterparty("s", "SG")).Verdict);
    }

    [Fact]
    public void SubdivisionsMatchTheirCountryButNotTheOtherWayRound()
    {
        var set = new JurisdictionSet(["UA-43", "CN"]);
        Assert.True(set.Contains("UA-43"));
        Assert.False(set.Contains("UA"));
        Assert.True(set.Contains("CN"));
        Assert.True(set.Contains("CN-SH"));
        Assert.False(set.Contains("HK"));
    }
}
