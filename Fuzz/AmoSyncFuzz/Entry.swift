import Foundation

#if FUZZING
/// libFuzzer's entry point (built by `Fuzz/run.sh` with `-sanitize=fuzzer`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    FuzzHarness.run(Data(bytes: bytes, count: count))
    return 0
}
#else
/// Without libFuzzer: `amosync-fuzz FILE…` runs each input once (a corpus or a crash file).
@main struct Replay {
    static func main() throws {
        let paths = CommandLine.arguments.dropFirst()
        if paths.isEmpty {
            print("usage: amosync-fuzz FILE... (runs each input once; Fuzz/run.sh builds the libFuzzer binary)")
        }
        for path in paths {
            FuzzHarness.run(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        print("\(paths.count) inputs ran without a finding")
    }
}
#endif
