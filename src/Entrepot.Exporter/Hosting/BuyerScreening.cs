using Entrepot.Core.Border;
using Entrepot.Core.Border.Policy;
using Entrepot.Core.Border.Rules;

namespace Entrepot.Exporter.Hosting;

/// <summary>
/// The seller's own check of who it serves: the configured packs (typically OFAC) applied with the
/// buyer's jurisdiction as origin and this node as destination. A seller is liable for serving an
/// embargoed buyer whatever the exchange decided, so it does not rely on the exchange alone.
/// </summary>
public sealed class BuyerScreening
{
    public const string BuyerJurisdictionHeader = "Entrepot-Buyer-Jurisdiction";

    private readonly RuleBook _book;
    private readonly Counterparty _self;
    private readonly PolicyEngine _engine = new(new SubjectCounter());
    private readonly TimeProvider _time;

    private BuyerScreening(RuleBook book, Counterparty self, TimeProvider time)
    {
        _book = book;
        _self = self;
        _time = time;
    }

    public IReadOnlyList<string> Packs => _book.Packs.Select(p => p.Id).ToList();

    /// <summary>Null when no packs are configured; throws with the reason when they cannot be used.</summary>
    public static BuyerScreening? Create(ExporterConfig config, TimeProvider time)
    {
        if (config.ScreenBuyers.Count == 0)
        {
            return null;
        }

        var dir = config.RulesDir ?? Path.Combine(AppContext.BaseDirectory, "rules");
        RuleBook all;
        try
        {
            all = RulePackLoader.LoadDirectory(dir, time.GetUtcNow());
        }
        catch (RuleLoadException e)
        {
            throw new InvalidDataException("screen_buyers: the rule packs cannot be used:\n" + e.Message, e);
        }

        var missing = config.ScreenBuyers.Where(id => all.Packs.All(p => p.Id != id)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidDataException($"screen_buyers: no pack {string.Join(", ", missing)} in {dir} (there: {string.Join(", ", all.Packs.Select(p => p.Id))}).");
        }

        var packs = all.Packs.Where(p => config.ScreenBuyers.Contains(p.Id)).ToList();
        var book = new RuleBook(packs, all.Groups, all.LoadedAt, all.Fingerprint);
        return new BuyerScreening(book, new Counterparty(config.Node.Id, config.Node.Jurisdiction.ToUpperInvariant()), time);
    }

    /// <summary>Null if the buyer may be served; else the reason for a 451.</summary>
    public string? Refusal(string? buyerJurisdiction)
    {
        if (string.IsNullOrWhiteSpace(buyerJurisdiction) || !Core.Accounts.Account.IsJurisdiction(buyerJurisdiction))
        {
            return $"This node screens buyers ({string.Join(", ", Packs)}) and the request does not state the buyer's jurisdiction in {BuyerJurisdictionHeader}.";
        }

        var trade = new TradeContext(buyerJurisdiction.ToUpperInvariant(), DataProfile.PublicData, _time.GetUtcNow(), TradeContext.NoSubjects);
        var d = _engine.Decide(_book, trade, _self);
        return d.Verdict == Verdict.Deny ? $"Node {_self.Id} may not serve a buyer in {buyerJurisdiction.ToUpperInvariant()}: {d.Explain()}." : null;
    }
}
