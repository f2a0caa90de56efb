using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Entrepot.Exchange.Hosting;

namespace Entrepot.Exchange.Tests;

/// <summary>
/// Whoever copies the data directory learns no key: the file's keys, a key issued through the admin
/// API and the admin key are stored only as their SHA-256 digests. Every byte of every file the
/// exchange wrote (database, its -wal, keys, logs) is searched for each key in clear.
/// </summary>
public sealed class KeyStorageTests
{
    private const string FileKey = "ent-stored-file-key-000000000001";
    private const string AdminKey = "ent-stored-admin-key-00000000001";

    [Fact]
    public async Task OnlyDigestsOfKeysAreStored_NeverAKeyInClear()
    {
        await using var upstream = await FaultyUpstream.StartAsync();
        var config = ConfigKeyTests.Config(upstream, ("alpha", FileKey)) with
        {
            Exchange = ConfigKeyTests.Config(upstream).Exchange with { AdminKey = AdminKey },
        };
        var dir = Directory.CreateTempSubdirectory("entrepot-keys-stored-").FullName;
        string issued;
        await using (var host = ExchangeHost.Create(config, dir))
        {
            await host.StartAsync();
            using var admin = new HttpClient { BaseAddress = host.BaseUrl };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
            var response = await admin.PostAsync("admin/accounts/alpha/keys", null);
            issued = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["key"]!;
            Assert.Equal("alpha", await ConfigKeyTests.AccountOf(host, issued));
            Assert.Equal("alpha", await ConfigKeyTests.AccountOf(host, FileKey));
            await host.FlushAsync();

            // While it runs (the -wal file holds the latest pages) and after it stopped.
            AssertNoKeyIn(dir, FileKey, AdminKey, issued);
        }

        AssertNoKeyIn(dir, FileKey, AdminKey, issued);
        var digest = Convert.ToHexStringLower(Core.Accounts.ApiKeyHash.Compute(issued));
        Assert.Contains(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories), f => Contains(File.ReadAllBytes(f), Encoding.ASCII.GetBytes(digest))
            || Contains(File.ReadAllBytes(f), Core.Accounts.ApiKeyHash.Compute(issued)));
    }

    private static void AssertNoKeyIn(string dir, params string[] keys)
    {
        var files = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var bytes = ReadShared(file);
            foreach (var key in keys)
            {
                Assert.False(Contains(bytes, Encoding.UTF8.GetBytes(key)), $"{file} holds a key in clear");
                Assert.False(Contains(bytes, Encoding.Unicode.GetBytes(key)), $"{file} holds a key in clear (UTF-16)");
            }
        }
    }

    private static byte[] ReadShared(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
