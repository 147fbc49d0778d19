set grid
set key outside right
set xlabel 'NN-Mass'
set ylabel 'LDI mean singular value at init'
set terminal pngcairo size 900,560
set output 'docs/results/fmnist-cnn/report/plots/ldi_vs_nnmass.png'
plot 'docs/results/fmnist-cnn/report/plots/ldi_vs_nnmass_0.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 12', 'docs/results/fmnist-cnn/report/plots/ldi_vs_nnmass_1.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 18', 'docs/results/fmnist-cnn/report/plots/ldi_vs_nnmass_2.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 24'
set terminal svg size 900,560
set output 'docs/results/fmnist-cnn/report/plots/ldi_vs_nnmass.svg'
plot 'docs/results/fmnist-cnn/report/plots/ldi_vs_nnmass_0.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 12', 'docs/results/fmnist-cnn/report/plots/ldi_vs_nnmass_1.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 18', 'docs/results/fmnist-cnn/report/plots/ldi_vs_nnmass_2.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 24'
