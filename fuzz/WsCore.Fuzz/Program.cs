using WsCore.Fuzz;

// The AFL++ driver for the WsCore fuzz targets.
//   dotnet WsCore.Fuzz.dll TARGET                 run under afl-fuzz (input on stdin, SharpFuzz out-of-process mode)
//   dotnet WsCore.Fuzz.dll replay TARGET PATH...   run files (or every file in directories) directly, no AFL
//   dotnet WsCore.Fuzz.dll make-corpus DIR         (re)write the hand-made seed corpus into DIR/TARGET/
//   dotnet WsCore.Fuzz.dll list                    print the target names

if (args.Length == 0)
{
    Console.Error.WriteLine("usage: WsCore.Fuzz TARGET | replay TARGET FILE|DIR... | make-corpus DIR | list");
    return 2;
}

switch (args[0])
{
    case "list":
        foreach (IFuzzTarget t in FuzzTargets.All) Console.WriteLine(t.Name);
        return 0;

    case "make-corpus":
        if (args.Length != 2) { Console.Error.WriteLine("usage: make-corpus DIR"); return 2; }
        int count = SeedCorpus.Write(args[1]);
        Console.WriteLine($"wrote {count} seed files under {args[1]}");
        return 0;

    case "replay":
    {
        if (args.Length < 3) { Console.Error.WriteLine("usage: replay TARGET FILE|DIR..."); return 2; }
        IFuzzTarget? target = FuzzTargets.Find(args[1]);
        if (target is null) { Console.Error.WriteLine($"unknown target '{args[1]}'"); return 2; }
        int failures = 0, runs = 0;
        for (int i = 2; i < args.Length; i++)
        {
            string[] files = Directory.Exists(args[i]) ? Directory.GetFiles(args[i], "*", SearchOption.AllDirectories) : [args[i]];
            Array.Sort(files, StringComparer.Ordinal);
            foreach (string file in files)
            {
                runs++;
                try
                {
                    FuzzTargets.Run(target, File.ReadAllBytes(file));
                }
                catch (FuzzInvariantException e)
                {
                    failures++;
                    Console.WriteLine($"FAIL {file}: {e.Message}");
                    if (e.InnerException is not null) Console.WriteLine(e.InnerException);
                }
            }
        }
        Console.WriteLine($"{target.Name}: {runs} inputs, {failures} failed");
        return failures == 0 ? 0 : 1;
    }

    default:
    {
        IFuzzTarget? target = FuzzTargets.Find(args[0]);
        if (target is null) { Console.Error.WriteLine($"unknown target '{args[0]}'"); return 2; }
        SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            FuzzTargets.Run(target, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        });
        return 0;
    }
}
