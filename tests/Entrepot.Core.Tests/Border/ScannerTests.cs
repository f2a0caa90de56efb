using Entrepot.Core.Border.Scanning;

namespace Entrepot.Core.Tests.Border;

public class ScannerTests
{
    private static (string Type, string Text)[] Find(string text) =>
        Scanner.Scan(text).Select(e => (e.Type.Name(), text[e.Start..e.End])).ToArray();

    [Theory]
    [InlineData("Write to anna.schmidt+crm@mail.example.de today.", "email", "anna.schmidt+crm@mail.example.de")]
    [InlineData("联系邮箱：zhang.wei@example.cn，谢谢", "email", "zhang.wei@example.cn")]
    [InlineData("Call +49 30 1234567 tomorrow", "phone", "+49 30 1234567")]
    [InlineData("Office: (415) 555-0132.", "phone", "(415) 555-0132")]
    [InlineData("手机13812345678请回电", "phone", "13812345678")]
    [InlineData("Appelez le 01 23 45 67 89 svp", "phone", "01 23 45 67 89")]
    [InlineData("東京 03-1234-5678 まで", "phone", "03-1234-5678")]
    [InlineData("Card 4111 1111 1111 1111 exp 12/27", "payment_card", "4111 1111 1111 1111")]
    [InlineData("Amex 3782 822463 10005 on file", "payment_card", "3782 822463 10005")]
    [InlineData("IBAN: DE89 3704 0044 0532 0130 00.", "iban", "DE89 3704 0044 0532 0130 00")]
    [InlineData("Überweisung an GB82WEST12345698765432 bitte", "iban", "GB82WEST12345698765432")]
    [InlineData("SSN 123-45-6789 on the form", "us_ssn", "123-45-6789")]
    [InlineData("身份证号：11010519491231002X。", "cn_resident_id", "11010519491231002X")]
    [InlineData("Passport No. C01X00T47 issued 2019", "passport", "C01X00T47")]
    [InlineData("护照号E12345678", "passport", "E12345678")]
    [InlineData("from 192.168.10.254: denied", "ip_address", "192.168.10.254")]
    [InlineData("peer 2001:db8::8a2e:370:7334 down", "ip_address", "2001:db8::8a2e:370:7334")]
    [InlineData("link-local fe80::1ff:fe23:4567:890a ok", "ip_address", "fe80::1ff:fe23:4567:890a")]
    [InlineData("Treffpunkt 48.85837, 2.29448 um 9", "geo_coordinates", "48.85837, 2.29448")]
    [InlineData("lat 40.7128, lon -74.0060 (NYC)", "geo_coordinates", "40.7128, lon -74.0060")]
    [InlineData("at 48°51'30.1\"N 2°17'40.2\"E now", "geo_coordinates", "48°51'30.1\"N 2°17'40.2\"E")]
    [InlineData("OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL", "secret", "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL")]
    [InlineData("aws AKIAIOSFODNN7EXAMPLE in config", "secret", "AKIAIOSFODNN7EXAMPLE")]
    [InlineData("api_key = \"Q7fK2mZp9LxR4vT8wB3nY6cJ\"", "secret", "Q7fK2mZp9LxR4vT8wB3nY6cJ")]
    public void Finds(string text, string type, string value)
    {
        Assert.Equal([(type, value)], Find(text));
    }

    [Fact]
    public void FindsJwtAndPemBlock()
    {
        var jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        Assert.Equal([("secret", jwt)], Find("Authorization: Bearer " + jwt));
        var pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1b2c3d4e5f6\nZm9vYmFy\n-----END RSA PRIVATE KEY-----";
        Assert.Equal([("secret", pem)], Find("key:\n" + pem + "\nthanks"));
    }

    [Theory]
    [InlineData("Order #100234987 shipped on 2024-03-15 at 12:30:45.")]
    [InlineData("Build 10.0.19045.3930, version 1.2.3.4 and v2.4.1")]
    [InlineData("Rechnung vom 15.03.2024 über €1.299,00")]
    [InlineData("pi is 3.14159 and e is 2.71828")]
    [InlineData("Paris is near 48.8, 2.3")]
    [InlineData("Card 4111 1111 1111 1112 is a typo")]
    [InlineData("IBAN DE89 3704 0044 0532 0130 01 wrong check")]
    [InlineData("SSN-like 000-12-3456 and 666-12-3456 and 912-12-3456")]
    [InlineData("ID 110105194912310021 fails the check")]
    [InlineData("address 300.1.2.3 and MAC 00:1A:2B:3C:4D:5E and std::vector")]
    [InlineData("we need more sk-ills and a ghp token; ping @anna or user@localhost")]
    [InlineData("人口 1412000000，电话费 128 元，订单号 2024031512345678")]
    [InlineData("commit 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39 uuid 123e4567-e89b-12d3-a456-426614174000")]
    [InlineData("ISBN 978-3-16-148410-0, tracking 1Z999AA10123456784")]
    public void IgnoresLookAlikes(string text)
    {
        Assert.Empty(Find(text));
    }

    [Fact]
    public void FindsSeveralInOrderWithoutOverlap()
    {
        var text = "Max Müller, max.mueller@example.de, Tel. +49 151 23456789, IBAN DE89370400440532013000, IP 10.0.0.7";
        Assert.Equal(
            [("email", "max.mueller@example.de"), ("phone", "+49 151 23456789"), ("iban", "DE89370400440532013000"), ("ip_address", "10.0.0.7")],
            Find(text));
    }

    [Fact]
    public void NeverThrowsOnArbitraryInput()
    {
        var rng = new Random(7);
        const string alphabet = "0123456789 .,:;-_+@()°'\"/\\\nabcXYZ护照号éßАЯ\uD83D\uDE00\uD800\u0000-----BEGIN PRIVATE KEY-----eyJ::";
        for (int round = 0; round < 3000; round++)
        {
            var chars = new char[rng.Next(0, 300)];
            for (int i = 0; i < chars.Length; i++)
            {
                chars[i] = alphabet[rng.Next(alphabet.Length)];
            }

            var found = Scanner.Scan(new string(chars));
            int last = 0;
            foreach (var e in found)
            {
                Assert.True(e.Start >= last && e.End > e.Start && e.End <= chars.Length);
                last = e.End;
            }
        }
    }

    [Fact]
    public void LinearOnAdversarialInput()
    {
        // Long runs of what each detector anchors on must not make it look back or forward without
        // bound. The work for 8n characters is compared with the work for n: the fastest of many runs
        // each, taken in turn so both see the same machine, on texts small enough to stay in the CPU's
        // cache. Linear work grows about 8 times, quadratic work 64 times; the bound of 24 sits between.
        // A busy machine can only slow runs down, so a ratio measured under the bound once is proof
        // enough; quadratic work stays over it however often it is measured (three tries).
        string[] units = ["1", "1.", "@", "a@", ":", "ab-", "+1 ", "-----BEGIN ", "a_", "1:", "-1.5,"];
        foreach (var unit in units)
        {
            var small = string.Concat(Enumerable.Repeat(unit, 8_000 / unit.Length));
            var large = string.Concat(Enumerable.Repeat(unit, 8 * 8_000 / unit.Length));
            var ratio = double.MaxValue;
            for (var attempt = 0; attempt < 3 && ratio >= 24; attempt++)
            {
                ratio = Math.Min(ratio, Ratio(small, large));
            }

            Assert.True(ratio < 24, $"'{unit}' repeated: 8x the text took {ratio:0.0}x the work (linear is ~8, quadratic ~64)");
        }

        static double Ratio(string small, string large)
        {
            double fastSmall = double.MaxValue, fastLarge = double.MaxValue;
            for (var i = 0; i < 31; i++)
            {
                fastSmall = Math.Min(fastSmall, Time(small));
                fastLarge = Math.Min(fastLarge, Time(large));
            }

            return fastLarge / Math.Max(fastSmall, 1e-6);
        }

        static double Time(string text)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            _ = Scanner.Scan(text);
            return watch.Elapsed.TotalMilliseconds;
        }
    }
}
