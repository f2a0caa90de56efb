using System.Text;
using BenchmarkDotNet.Attributes;
using Entrepot.Core.Border.Scanning;

namespace Entrepot.Benchmarks;

/// <summary>
/// Scanner throughput on 1 MiB of text. "prose": sentences in English, German, French, Chinese and
/// Japanese with the digits, hyphens and colons ordinary writing has, and no personal data.
/// "pii": the same with an identifier every ~300 characters. The adversarial inputs are long runs
/// of what the detectors anchor on (digits, dotted numbers, '@', colons, key prefixes, PEM headers):
/// their time must stay of the same order as prose, proving no input makes the scanner backtrack.
/// MB/s = 1 MiB / mean time.
/// </summary>
[MemoryDiagnoser]
public class ScannerBenchmarks
{
    private const int Size = 1 << 20;

    private static readonly string[] Sentences =
    [
        "The committee met on Tuesday to discuss the well-known proposal for a new cross-border data framework. ",
        "Der Ausschuss hat am Dienstag über den Vorschlag beraten; eine Entscheidung fällt erst im Herbst. ",
        "Le comité s'est réuni mardi pour examiner la proposition : la décision sera prise à l'automne. ",
        "委员会周二开会讨论了关于跨境数据框架的新提案，预计秋季作出决定。",
        "委員会は火曜日に会合を開き、越境データの新しい枠組みについて議論しました。",
        "In 2024 about 3 out of 4 firms reported a follow-up review at 10:30 in room B-12. ",
    ];

    private static readonly string[] Identifiers =
    [
        "anna.schmidt@example.de", "+49 30 1234567", "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00", "123-45-6789",
        "11010519491231002X", "192.168.10.254", "48.85837, 2.29448", "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL",
    ];

    [Params("prose", "pii", "digits", "dotted", "at-signs", "colons", "dashes", "key-prefixes", "pem-headers")]
    public string Input { get; set; } = "prose";

    private string _text = "";

    [GlobalSetup]
    public void Setup()
    {
        var sb = new StringBuilder(Size + 256);
        int i = 0;
        string unit = Input switch
        {
            "digits" => "1234567890",
            "dotted" => "1.2.",
            "at-signs" => "a@b@",
            "colons" => "ab:cd::",
            "dashes" => "x-y-z-",
            "key-prefixes" => "sk-ghp_AKIA",
            "pem-headers" => "-----BEGIN ",
            _ => "",
        };
        while (sb.Length < Size)
        {
            if (unit.Length > 0)
            {
                sb.Append(unit);
                continue;
            }

            sb.Append(Sentences[i % Sentences.Length]);
            if (Input == "pii" && i % 3 == 2)
            {
                sb.Append("Contact: ").Append(Identifiers[i / 3 % Identifiers.Length]).Append(". ");
            }

            i++;
        }

        _text = sb.ToString(0, Size);
    }

    [Benchmark]
    public int Scan() => Scanner.Scan(_text).Count;
}
