using System.Text;
using System.Text.Json.Nodes;
using Entrepot.Core.Trust;

namespace Entrepot.Core.Tests.Trust;

/// <summary>
/// Known answers from outside the code: RFC 8785's own examples for what Entrepot's signed documents
/// hold (member sorting by UTF-16 code units, string escaping, literals) with the expected bytes
/// written out here, and integers; a number with a fraction is refused by design (signed documents
/// carry prices and costs as decimal strings).
/// </summary>
public sealed class CanonicalJsonTests
{
    private static string Canonical(string json) => Encoding.UTF8.GetString(CanonicalJson.Serialize(JsonNode.Parse(json)));

    [Fact]
    public void Rfc8785_Section_3_2_3_SortsMembersByUtf16CodeUnits()
    {
        const string input = """
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """;
        // The RFC's order: CR, "1", U+0080, U+00F6, U+20AC, U+1F600 (as its surrogates D83D DE00), U+FB33.
        const string expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\","
            + "\"\u20ac\":\"Euro Sign\",\"\ud83d\ude00\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}";
        Assert.Equal(expected, Canonical(input));
    }

    [Fact]
    public void Rfc8785_Section_3_2_2_2_EscapesOnlyWhatItMust()
    {
        // The RFC's example string: euro, dollar, U+000F, LF, A, ', B, ", \, \, ", / (the solidus is not escaped).
        const string input = """{"string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/"}""";
        Assert.Equal("{\"string\":\"\u20ac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}", Canonical(input));
    }

    [Fact]
    public void LiteralsIntegersAndNesting_HaveOneForm()
    {
        Assert.Equal("{\"literals\":[null,true,false]}", Canonical("""{ "literals" : [ null , true , false ] }"""));
        Assert.Equal("[0,-1,9007199254740991,{\"a\":{\"b\":[]}}]", Canonical("""[ 0, -1, 9007199254740991, { "a": { "b": [ ] } } ]"""));
        Assert.Equal("\"\\b\\f\\n\\r\\t\\u001f\"", Canonical("\"\\b\\f\\n\\r\\t\\u001F\""));
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("1e5")]
    [InlineData("{\"cost\":0.1}")]
    public void ANumberWithAFractionOrExponent_IsRefused(string json) =>
        Assert.Throws<FormatException>(() => CanonicalJson.Serialize(JsonNode.Parse(json)));
}
