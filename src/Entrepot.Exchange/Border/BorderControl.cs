using Entrepot.Core.Accounts;
using Entrepot.Core.Border;
using Entrepot.Core.Border.Policy;
using Entrepot.Core.Border.Rules;
using Entrepot.Core.Protocol;

namespace Entrepot.Exchange.Border;

/// <summary>
/// The border on the request path: classifies what a request carries (declared class, account
/// default, scanner), then decides each candidate seller against the rule packs in force. The
/// result travels with the request. Nothing here touches the network or the database, except the
/// subject counts of threshold rules on a cluster (<see cref="CountsOverTheNetwork"/>).
/// </summary>
/// <param name="secretsInClear">Accounts that opted out of credential masking in the configuration file.</param>
public sealed class BorderControl(PolicyRules rules, ISubjectCounter subjects, byte[] subjectKey, TimeProvider time, IReadOnlySet<string>? secretsInClear = null)
{
    public const string DataClassHeader = "Entrepot-Data-Class";

    private readonly PolicyEngine _engine = new(subjects);

    public PolicyRules Rules => rules;

    /// <summary>Whether deciding a threshold rule asks a database (a cluster's shared counts) rather
    /// than this process's memory.</summary>
    public bool CountsOverTheNetwork => subjects is not SubjectCounter;

    /// <summary>Classifies the request; null with <paramref name="error"/> when the declared class is not understood.</summary>
    /// <param name="declaredSubjects">How many people the buyer says the data is about (Entrepot-Data-Subjects), if it said.</param>
    public BorderCheck? Inspect(InferenceRequest request, Account account, string? declared, out string? error, long? declaredSubjects = null)
    {
        if (!DataProfiler.TryParseDeclared(declared, out var bits, out var categories, out error))
        {
            return null;
        }

        var prompt = request.Content;
        var inspection = Inspection.Run(prompt.Fields, prompt.Unscanned.Count, bits, categories, account.DefaultDataClass, subjectKey);
        var subjects = declaredSubjects is { } n ? DataProfiler.WithDeclared(inspection.Subjects, inspection.Profile.Categories, n) : inspection.Subjects;
        var trade = new TradeContext(account.HomeJurisdiction, inspection.Profile, time.GetUtcNow(), subjects, account.Attestations, account.Id, declaredSubjects);
        return new BorderCheck(_engine, rules.Current, trade, prompt, inspection, secretsInClear?.Contains(account.Id) == true);
    }

    /// <summary>After a trade crossed: its subjects count toward the thresholds, per seller and
    /// category, and in every other unit the rules in force count in (all recipients, one owner,
    /// the sensitive categories summed).</summary>
    public void Crossed(BorderCheck check, Counterparty seller)
    {
        var trade = check.Trade;
        foreach (var (category, ids) in trade.Subjects)
        {
            subjects.Record(SubjectScope.For(CountingUnit.Counterparty, category, trade.Holder, trade.Origin, seller), trade.Now, ids);
        }

        foreach (var (unit, category) in check.Book.CountingKeys)
        {
            if (unit == CountingUnit.Counterparty && category != DataCategory.Sensitive)
            {
                continue; // recorded above
            }

            var ids = trade.SubjectsOf(category);
            if (ids.Count > 0)
            {
                subjects.Record(SubjectScope.For(unit, category, trade.Holder, trade.Origin, seller), trade.Now, ids);
            }
        }
    }
}
