set grid
set key outside right
set xlabel 'NN-Mass'
set ylabel 'test accuracy (%)'
set terminal pngcairo size 900,560
set output 'docs/results/fmnist-nb201/report/plots/acc_vs_nnmass.png'
plot 'docs/results/fmnist-nb201/report/plots/acc_vs_nnmass_0.dat' using 1:2 with points pt 7 ps 0.8 title 'family nb201'
set terminal svg size 900,560
set output 'docs/results/fmnist-nb201/report/plots/acc_vs_nnmass.svg'
plot 'docs/results/fmnist-nb201/report/plots/acc_vs_nnmass_0.dat' using 1:2 with points pt 7 ps 0.8 title 'family nb201'
