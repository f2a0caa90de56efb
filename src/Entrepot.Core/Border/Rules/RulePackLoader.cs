using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Entrepot.Core.Border.Rules;

/// <summary>
/// Reads rule packs and jurisdiction groups from YAML (the format is in docs/RULES.md). Every
/// problem is collected with its file, line and field rather than stopping at the first, so
/// `entrepot policy lint` can list them all; any problem means the whole set is refused.
/// </summary>
public static partial class RulePackLoader
{
    private static readonly string[] RuleKeys = ["id", "title", "citation", "effective_from", "effective_until", "match", "effect", "requires", "otherwise", "wait_working_days", "threshold", "notes"];
    private static readonly string[] MatchKeys = ["origin", "origin_not", "destination", "destination_not", "data_classes", "categories", "counterparty", "unscanned", "buyer_holds"];

    public static RuleBook LoadDirectory(string dir, DateTimeOffset now)
    {
        var errors = new List<RuleLoadError>();
        var book = TryLoadDirectory(dir, now, errors);
        return errors.Count > 0 ? throw new RuleLoadException(errors) : book!;
    }

    public static RuleBook? TryLoadDirectory(string dir, DateTimeOffset now, List<RuleLoadError> errors)
    {
        if (!Directory.Exists(dir))
        {
            errors.Add(new RuleLoadError(dir, 0, "(directory)", "no such directory"));
            return null;
        }

        var files = Directory.GetFiles(dir, "*.yaml").Concat(Directory.GetFiles(dir, "*.yml"))
            .Order(StringComparer.Ordinal)
            .Select(f => (Path: f, Content: File.ReadAllText(f)))
            .ToList();
        return TryLoad(files, now, errors);
    }

    public static RuleBook? TryLoad(IReadOnlyList<(string Path, string Content)> files, DateTimeOffset now, List<RuleLoadError> errors)
    {
        int before = errors.Count;
        var docs = new List<(string Path, YamlMappingNode Root)>();
        foreach (var (path, content) in files)
        {
            try
            {
                var stream = new YamlStream();
                stream.Load(new StringReader(content));
                if (stream.Documents.Count == 0)
                {
                    continue;
                }

                if (stream.Documents[0].RootNode is YamlMappingNode root)
                {
                    docs.Add((path, root));
                }
                else
                {
                    errors.Add(new RuleLoadError(path, stream.Documents[0].RootNode.Start.Line, "(document)", "expected a mapping with 'pack' and 'rules', or 'groups'"));
                }
            }
            catch (YamlException ex)
            {
                errors.Add(new RuleLoadError(path, ex.Start.Line, "(syntax)", ex.InnerException?.Message ?? ex.Message));
            }
        }

        var groups = new Dictionary<string, JurisdictionSet>(StringComparer.Ordinal);
        foreach (var (path, root) in docs)
        {
            if (Child(root, "groups") is { } g)
            {
                ReadGroups(path, g, groups, errors);
            }
        }

        var packs = new List<RulePack>();
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, root) in docs)
        {
            if (Child(root, "pack") is not null || Child(root, "rules") is not null)
            {
                if (ReadPack(path, root, groups, ids, errors) is { } pack)
                {
                    packs.Add(pack);
                }
            }
            else if (Child(root, "groups") is null)
            {
                errors.Add(new RuleLoadError(path, root.Start.Line, "(document)", "neither 'pack' nor 'groups' at the top level"));
            }
        }

        return errors.Count > before ? null : new RuleBook(packs, groups, now, RuleBook.Hash(files.Select(f => (Path.GetFileName(f.Path), f.Content))));
    }

    private static void ReadGroups(string path, YamlNode node, Dictionary<string, JurisdictionSet> groups, List<RuleLoadError> errors)
    {
        if (node is not YamlMappingNode map)
        {
            errors.Add(new RuleLoadError(path, node.Start.Line, "groups", "expected a mapping of group names"));
            return;
        }

        foreach (var (k, v) in map.Children)
        {
            var name = ((YamlScalarNode)k).Value ?? "";
            var field = $"groups.{name}";
            if (!GroupName().IsMatch(name))
            {
                errors.Add(new RuleLoadError(path, k.Start.Line, field, "group names are lowercase letters, digits and '_'"));
                continue;
            }

            if (groups.ContainsKey(name))
            {
                errors.Add(new RuleLoadError(path, k.Start.Line, field, "group defined twice"));
                continue;
            }

            if (v is not YamlMappingNode gm || Child(gm, "members") is not YamlSequenceNode members)
            {
                errors.Add(new RuleLoadError(path, v.Start.Line, field + ".members", "required: a list of jurisdiction codes"));
                continue;
            }

            if (Scalar(gm, "source") is null)
            {
                errors.Add(new RuleLoadError(path, v.Start.Line, field + ".source", "required: where the membership comes from"));
            }

            var codes = new List<string>();
            foreach (var m in members.Children)
            {
                var code = (m as YamlScalarNode)?.Value;
                if (code is null || !JurisdictionCode().IsMatch(code))
                {
                    errors.Add(new RuleLoadError(path, m.Start.Line, field + ".members", $"'{code}' is not an ISO 3166 code (e.g. DE, UA-43)"));
                    continue;
                }

                codes.Add(code);
            }

            groups[name] = new JurisdictionSet(codes);
        }
    }

    private static RulePack? ReadPack(string path, YamlMappingNode root, Dictionary<string, JurisdictionSet> groups, Dictionary<string, string> ids, List<RuleLoadError> errors)
    {
        int before = errors.Count;
        var packId = Required(path, root, "pack", "pack", errors);
        var title = Required(path, root, "title", "title", errors);
        var law = Scalar(root, "law") ?? "";
        var source = Required(path, root, "source", "source", errors);
        if (Child(root, "rules") is not YamlSequenceNode rulesNode)
        {
            errors.Add(new RuleLoadError(path, root.Start.Line, "rules", "required: a list of rules"));
            return null;
        }

        var rules = new List<PolicyRule>();
        int index = 0;
        foreach (var node in rulesNode.Children)
        {
            var field = $"rules[{index++}]";
            if (node is not YamlMappingNode r)
            {
                errors.Add(new RuleLoadError(path, node.Start.Line, field, "expected a mapping"));
                continue;
            }

            if (ReadRule(path, field, r, packId ?? "", groups, errors) is { } rule)
            {
                if (ids.TryGetValue(rule.Id, out var other))
                {
                    errors.Add(new RuleLoadError(path, r.Start.Line, field + ".id", $"'{rule.Id}' is already used in {other}"));
                }
                else
                {
                    ids[rule.Id] = $"{Path.GetFileName(path)}:{r.Start.Line}";
                    rules.Add(rule);
                }
            }
        }

        return errors.Count > before ? null : new RulePack(packId!, title!, law, source!, Path.GetFileName(path), rules);
    }

    private static PolicyRule? ReadRule(string path, string field, YamlMappingNode r, string pack, Dictionary<string, JurisdictionSet> groups, List<RuleLoadError> errors)
    {
        int before = errors.Count;
        foreach (var (k, _) in r.Children)
        {
            var key = ((YamlScalarNode)k).Value;
            if (!RuleKeys.Contains(key))
            {
                errors.Add(new RuleLoadError(path, k.Start.Line, $"{field}.{key}", $"unknown field (expected one of {string.Join(", ", RuleKeys)})"));
            }
        }

        var id = Required(path, r, "id", field + ".id", errors);
        if (id is not null && !RuleId().IsMatch(id))
        {
            errors.Add(new RuleLoadError(path, Child(r, "id")!.Start.Line, field + ".id", "rule ids are lowercase letters, digits and '-'"));
        }

        var title = Required(path, r, "title", field + ".title", errors);
        var citation = Required(path, r, "citation", field + ".citation", errors);
        var from = ReadDate(path, r, "effective_from", field, errors, required: true);
        var until = ReadDate(path, r, "effective_until", field, errors, required: false);
        if (from is not null && until is not null && until <= from)
        {
            errors.Add(new RuleLoadError(path, Child(r, "effective_until")!.Start.Line, field + ".effective_until", "must be after effective_from"));
        }

        var effectText = Required(path, r, "effect", field + ".effect", errors);
        PolicyEffect effect = PolicyEffect.Deny;
        if (effectText is not null && !PolicyEffects.TryParse(effectText, out effect))
        {
            errors.Add(new RuleLoadError(path, Child(r, "effect")!.Start.Line, field + ".effect", $"unknown effect '{effectText}' (allow, deny, redact, require_attestation, require_contract)"));
        }

        var requires = ReadList(path, r, "requires", field, errors) ?? [];
        bool isRequire = effect is PolicyEffect.RequireAttestation or PolicyEffect.RequireContract;
        if (isRequire && requires.Count == 0)
        {
            errors.Add(new RuleLoadError(path, r.Start.Line, field + ".requires", $"required with effect {effect.Name()}: the attestation or contract needed"));
        }
        else if (!isRequire && requires.Count > 0)
        {
            errors.Add(new RuleLoadError(path, Child(r, "requires")!.Start.Line, field + ".requires", "only with require_attestation or require_contract"));
        }

        var otherwise = PolicyEffect.Deny;
        if (Scalar(r, "otherwise") is { } ow)
        {
            if (!PolicyEffects.TryParse(ow, out otherwise) || otherwise is not (PolicyEffect.Deny or PolicyEffect.Redact or PolicyEffect.Allow))
            {
                errors.Add(new RuleLoadError(path, Child(r, "otherwise")!.Start.Line, field + ".otherwise", $"'{ow}' is not one of allow, redact, deny"));
            }
            else if (!isRequire)
            {
                errors.Add(new RuleLoadError(path, Child(r, "otherwise")!.Start.Line, field + ".otherwise", "only with require_attestation or require_contract"));
            }
        }

        var wait = 0;
        if (Scalar(r, "wait_working_days") is { } w)
        {
            if (!isRequire || !int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out wait) || wait is < 1 or > 365)
            {
                errors.Add(new RuleLoadError(path, Child(r, "wait_working_days")!.Start.Line, field + ".wait_working_days",
                    "a whole number of working days (1-365), only with require_attestation or require_contract"));
            }
        }

        var match = ReadMatch(path, field, r, groups, errors);
        var threshold = ReadThreshold(path, field, r, errors);
        if (errors.Count > before)
        {
            return null;
        }

        return new PolicyRule
        {
            Id = id!,
            Pack = pack,
            Title = title!,
            Citation = citation!,
            EffectiveFrom = from!.Value,
            EffectiveUntil = until,
            Match = match!,
            Effect = effect,
            Requires = requires,
            Otherwise = otherwise,
            WaitWorkingDays = wait,
            Threshold = threshold,
            Source = $"{Path.GetFileName(path)}:{r.Start.Line}",
        };
    }

    private static RuleMatch? ReadMatch(string path, string field, YamlMappingNode r, Dictionary<string, JurisdictionSet> groups, List<RuleLoadError> errors)
    {
        if (Child(r, "match") is not { } node)
        {
            return new RuleMatch();
        }

        if (node is not YamlMappingNode m)
        {
            errors.Add(new RuleLoadError(path, node.Start.Line, field + ".match", "expected a mapping"));
            return null;
        }

        var f = field + ".match";
        foreach (var (k, _) in m.Children)
        {
            var key = ((YamlScalarNode)k).Value;
            if (!MatchKeys.Contains(key))
            {
                errors.Add(new RuleLoadError(path, k.Start.Line, $"{f}.{key}", $"unknown field (expected one of {string.Join(", ", MatchKeys)})"));
            }
        }

        List<DataClass>? classes = null;
        if (ReadList(path, m, "data_classes", f, errors) is { } cl)
        {
            classes = [];
            foreach (var c in cl)
            {
                if (DataClasses.TryParseClass(c, out var dc))
                {
                    classes.Add(dc);
                }
                else
                {
                    errors.Add(new RuleLoadError(path, Child(m, "data_classes")!.Start.Line, f + ".data_classes", $"unknown class '{c}' ({string.Join(", ", DataClasses.All.Select(x => x.Name()))})"));
                }
            }
        }

        var categories = DataCategory.None;
        foreach (var c in ReadList(path, m, "categories", f, errors) ?? [])
        {
            if (DataClasses.TryParseCategory(c, out var cat))
            {
                categories |= cat;
            }
            else
            {
                errors.Add(new RuleLoadError(path, Child(m, "categories")!.Start.Line, f + ".categories", $"unknown category '{c}' ({string.Join(", ", DataClasses.Categories.Select(x => x.Name()))})"));
            }
        }

        JurisdictionSet? ownership = null;
        if (Child(m, "counterparty") is { } cp)
        {
            if (cp is YamlMappingNode cpm)
            {
                foreach (var (k, _) in cpm.Children)
                {
                    if (((YamlScalarNode)k).Value != "ownership")
                    {
                        errors.Add(new RuleLoadError(path, k.Start.Line, $"{f}.counterparty.{((YamlScalarNode)k).Value}", "unknown field (expected ownership)"));
                    }
                }

                ownership = Jurisdictions(path, cpm, "ownership", f + ".counterparty", groups, errors);
            }
            else
            {
                errors.Add(new RuleLoadError(path, cp.Start.Line, f + ".counterparty", "expected a mapping"));
            }
        }

        bool? unscanned = null;
        if (Child(m, "unscanned") is { } un)
        {
            if (un is YamlScalarNode { Value: "true" or "false" } b)
            {
                unscanned = b.Value == "true";
            }
            else
            {
                errors.Add(new RuleLoadError(path, un.Start.Line, f + ".unscanned", "expected true or false"));
            }
        }

        return new RuleMatch
        {
            Unscanned = unscanned,
            BuyerHolds = ReadList(path, m, "buyer_holds", f, errors),
            Origin = Jurisdictions(path, m, "origin", f, groups, errors),
            OriginNot = Jurisdictions(path, m, "origin_not", f, groups, errors),
            Destination = Jurisdictions(path, m, "destination", f, groups, errors),
            DestinationNot = Jurisdictions(path, m, "destination_not", f, groups, errors),
            DataClasses = classes,
            Categories = categories,
            CounterpartyOwnership = ownership,
        };
    }

    private static RuleThreshold? ReadThreshold(string path, string field, YamlMappingNode r, List<RuleLoadError> errors)
    {
        if (Child(r, "threshold") is not { } node)
        {
            return null;
        }

        var f = field + ".threshold";
        if (node is not YamlMappingNode t)
        {
            errors.Add(new RuleLoadError(path, node.Start.Line, f, "expected a mapping"));
            return null;
        }

        long subjects = 0;
        if (!long.TryParse(Scalar(t, "subjects"), NumberStyles.None, CultureInfo.InvariantCulture, out subjects))
        {
            errors.Add(new RuleLoadError(path, t.Start.Line, f + ".subjects", "required: a whole number of distinct data subjects"));
        }

        long? upTo = null;
        if (Scalar(t, "up_to") is { } u)
        {
            if (long.TryParse(u, NumberStyles.None, CultureInfo.InvariantCulture, out var up) && up > subjects)
            {
                upTo = up;
            }
            else
            {
                errors.Add(new RuleLoadError(path, Child(t, "up_to")!.Start.Line, f + ".up_to", "a whole number above subjects"));
            }
        }

        var category = DataCategory.None;
        var catText = Scalar(t, "category");
        if (catText is null || !DataClasses.TryParseCounted(catText, out category))
        {
            errors.Add(new RuleLoadError(path, t.Start.Line, f + ".category", $"required: one of {string.Join(", ", DataClasses.Categories.Select(x => x.Name()))}, or sensitive (those but personal-identifiers, summed)"));
        }

        var period = ThresholdPeriod.Rolling12Months;
        switch (Scalar(t, "period"))
        {
            case "rolling-12-months":
                break;
            case "calendar-year":
                period = ThresholdPeriod.CalendarYear;
                break;
            default:
                errors.Add(new RuleLoadError(path, t.Start.Line, f + ".period", "required: rolling-12-months or calendar-year"));
                break;
        }

        var unit = CountingUnit.Counterparty;
        switch (Scalar(t, "per"))
        {
            case null or "counterparty":
                break;
            case "handler":
                unit = CountingUnit.Handler;
                break;
            case "owner":
                unit = CountingUnit.Owner;
                break;
            default:
                errors.Add(new RuleLoadError(path, Child(t, "per")!.Start.Line, f + ".per", "one of counterparty, handler, owner"));
                break;
        }

        return new RuleThreshold(subjects, category, period, upTo, unit);
    }

    private static JurisdictionSet? Jurisdictions(string path, YamlMappingNode m, string key, string field, Dictionary<string, JurisdictionSet> groups, List<RuleLoadError> errors)
    {
        if (ReadList(path, m, key, field, errors) is not { } items)
        {
            return null;
        }

        var codes = new List<string>();
        int line = (int)Child(m, key)!.Start.Line;
        foreach (var item in items)
        {
            if (item.StartsWith('@'))
            {
                if (groups.TryGetValue(item[1..], out var g))
                {
                    codes.AddRange(g.Codes);
                }
                else
                {
                    errors.Add(new RuleLoadError(path, line, $"{field}.{key}", $"unknown group '{item}' (defined: {string.Join(", ", groups.Keys.Order(StringComparer.Ordinal))})"));
                }
            }
            else if (JurisdictionCode().IsMatch(item))
            {
                codes.Add(item);
            }
            else
            {
                errors.Add(new RuleLoadError(path, line, $"{field}.{key}", $"'{item}' is neither an ISO 3166 code nor a @group"));
            }
        }

        return new JurisdictionSet(codes);
    }

    private static List<string>? ReadList(string path, YamlMappingNode m, string key, string field, List<RuleLoadError> errors)
    {
        switch (Child(m, key))
        {
            case null:
                return null;
            case YamlScalarNode s when s.Value is { Length: > 0 } v && !IsNull(s):
                return [v];
            case YamlScalarNode:
                return null;
            case YamlSequenceNode seq:
                var list = new List<string>();
                foreach (var item in seq.Children)
                {
                    if (item is YamlScalarNode { Value: { } v })
                    {
                        list.Add(v);
                    }
                    else
                    {
                        errors.Add(new RuleLoadError(path, item.Start.Line, $"{field}.{key}", "expected a plain value"));
                    }
                }

                return list;
            case var other:
                errors.Add(new RuleLoadError(path, other.Start.Line, $"{field}.{key}", "expected a value or a list"));
                return null;
        }
    }

    private static DateOnly? ReadDate(string path, YamlMappingNode r, string key, string field, List<RuleLoadError> errors, bool required)
    {
        var node = Child(r, key) as YamlScalarNode;
        if (node is null || IsNull(node))
        {
            if (required)
            {
                errors.Add(new RuleLoadError(path, r.Start.Line, $"{field}.{key}", "required: a date YYYY-MM-DD"));
            }

            return null;
        }

        if (DateOnly.TryParseExact(node.Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            return d;
        }

        errors.Add(new RuleLoadError(path, node.Start.Line, $"{field}.{key}", $"'{node.Value}' is not a date YYYY-MM-DD"));
        return null;
    }

    private static string? Required(string path, YamlMappingNode m, string key, string field, List<RuleLoadError> errors)
    {
        var v = Scalar(m, key);
        if (string.IsNullOrWhiteSpace(v))
        {
            errors.Add(new RuleLoadError(path, m.Start.Line, field, "required"));
            return null;
        }

        return v;
    }

    private static YamlNode? Child(YamlMappingNode m, string key) =>
        m.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    private static string? Scalar(YamlMappingNode m, string key) =>
        Child(m, key) is YamlScalarNode s && !IsNull(s) ? s.Value : null;

    private static bool IsNull(YamlScalarNode s) =>
        s.Style == ScalarStyle.Plain && s.Value is null or "" or "null" or "~";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$")]
    private static partial Regex RuleId();

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex GroupName();

    [GeneratedRegex("^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]
    private static partial Regex JurisdictionCode();
}
